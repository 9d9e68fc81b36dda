import type { WarningView } from '../warnings/schema.js';
import type { CaseView } from './types.js';
import type { TransitionRecord } from './repo.js';
import type { WrittenReport } from './schema.js';
import { gradeLabels, localTime, statusLabels } from './labels.js';

/**
 * The first draft of a written report (seeds 000, 004): what the case and its warning know;
 * what nobody knows yet (casualties, losses, the area affected) says `unknown` for the duty
 * officer to fill in before confirming.
 */
export const unknownValue = 'unknown';

function what(c: CaseView, w: WarningView | null): string {
  const parts = [c.title];
  if (c.description) parts.push(c.description);
  if (w) parts.push(`${gradeLabels[w.grade]}预警 ${w.id}（${w.reason}）`);
  return parts.join('；');
}

function where(c: CaseView, w: WarningView | null): string {
  const { address, lon, lat } = c.location;
  const parts = [
    address,
    c.blockCode ? `网格 ${c.blockCode}` : undefined,
    lon !== undefined && lat !== undefined ? `经纬度 ${lon.toFixed(6)}, ${lat.toFixed(6)}` : undefined,
    w?.deviceId ? `设备 ${w.deviceId}` : undefined,
  ].filter((p): p is string => p !== undefined && p !== '');
  return parts.length > 0 ? parts.join('；') : unknownValue;
}

/** Each step so far, one line each: `2026-06-01 10:05:00 已派遣 unit-1`. */
function measures(w: WarningView | null, transitions: readonly TransitionRecord[]): string {
  const lines: Array<[string, string]> = [];
  if (w?.acknowledgedAt) lines.push([w.acknowledgedAt, '预警已叫应确认']);
  for (const t of transitions) {
    if (t.step === 'opened') continue;
    const label = statusLabels[t.step as keyof typeof statusLabels] ?? t.step;
    const unitId = (t.data['unit'] as { id?: unknown } | undefined)?.id;
    const unit = typeof unitId === 'string' ? ` ${unitId}` : '';
    lines.push([t.at, `${label}${unit}${t.note ? `：${t.note}` : ''}`]);
  }
  return lines.sort((a, b) => Date.parse(a[0]) - Date.parse(b[0])).map(([at, text]) => `${localTime(at)} ${text}`).join('\n');
}

export function draftReport(c: CaseView, w: WarningView | null, transitions: readonly TransitionRecord[]): WrittenReport {
  return {
    what: what(c, w),
    where: where(c, w),
    when: c.incidentAt,
    grade: c.grade,
    areaAffected: unknownValue,
    casualties: unknownValue,
    losses: unknownValue,
    measuresTaken: measures(w, transitions),
    pictures: [],
    nextSteps: '',
  };
}

import type { Grade } from '../../rules/schema.js';
import type { CaseView } from '../cases/types.js';
import { chinaTime } from '../events/store.js';
import type { DirectWarningInput } from '../warnings/direct.js';
import type { SlaClockName } from './schema.js';
import type { ClockRow } from './store.js';

/**
 * The warning a missed deadline raises (gateway/warnings/direct.ts). A missed report is the
 * centre's own failure (seed 000: no late or suppressed reports), so it is orange and goes
 * through 叫应 to the duty chain; a unit that signs or arrives late is yellow: ops chase the
 * unit, and the miss is scored in the monthly linkage report (seed 004 附件二).
 */
export const breachGrades: Readonly<Record<SlaClockName, Grade>> = {
  first_report: 'orange', written_report: 'orange', sign: 'yellow', arrive: 'yellow',
};

const labels: Readonly<Record<SlaClockName, { zh: string; en: string }>> = {
  first_report: { zh: '首报超时', en: 'not reported to the district' },
  written_report: { zh: '书面报告超时', en: 'no confirmed written report' },
  sign: { zh: '签收超时', en: 'not signed for' },
  arrive: { zh: '到场超时', en: 'not arrived' },
};

export function breachFingerprint(c: Pick<ClockRow, 'caseId' | 'clock' | 'seq'>): string {
  return `sla/case/${c.caseId}/${c.clock}/${c.seq}`;
}

function base(c: ClockRow, kase: CaseView): Omit<DirectWarningInput, 'grade' | 'reason' | 'atMs'> {
  const unit = c.unitId !== null ? `（${c.unitId}）` : '';
  return {
    fingerprint: breachFingerprint(c),
    subject: { type: 'case', id: kase.id },
    title: `案件 ${kase.id}「${kase.title}」${labels[c.clock].zh}${unit}`,
    category: kase.category,
    blockCode: kase.blockCode,
    kind: kase.kind,
    exercise: kase.exercise,
    data: { caseId: kase.id, clock: c.clock, seq: c.seq, unitId: c.unitId, deadline: chinaTime(c.deadlineMs) },
  };
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

export function breachWarning(c: ClockRow, kase: CaseView): DirectWarningInput {
  const allowed = c.durationMs !== null ? ` within ${minutes(c.durationMs)}${c.unitId !== null ? ' of duty time' : ''}` : '';
  return {
    ...base(c, kase), grade: breachGrades[c.clock], atMs: c.deadlineMs,
    reason: `${labels[c.clock].en}${allowed}: the deadline ${chinaTime(c.deadlineMs)} passed`,
  };
}

/** Clears the breach warning: the step came late, or the clock was stopped. */
export function breachCleared(c: ClockRow, kase: CaseView, atMs: number, why: string): DirectWarningInput {
  return { ...base(c, kase), grade: null, atMs, reason: why };
}

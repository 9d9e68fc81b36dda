import type { Queryable } from '../storage/db.js';
import { gradeLevel, type Grade } from '../../rules/schema.js';
import type { Emit } from './types.js';
import { announce, callout } from './actions.js';
import type { Change } from './change.js';
import { closeWarning, recordChange, type WarningContext } from './lifecycle.js';
import { insertWarning, latestByFingerprint, updateWarning, type WarningRow } from './repo.js';

/**
 * Warnings that no rule raises: SLA breaches, external (CAP) warnings, district-link alarms,
 * delivery give-ups. They live in the same table and go the same way as rule warnings (timeline,
 * warning.* events, MQTT, notifiers, 叫应 by the `warnings.acknowledgeGrades` policy), keyed by
 * their fingerprint: setting the same fingerprint again regrades the open warning, and
 * `grade: null` clears it.
 */
export interface DirectWarningInput {
  /** Unique per thing warned about, e.g. `sla/case/42/sign`, `external/{sender}/{identifier}`. */
  fingerprint: string;
  /** The warning's subject: { type: 'case', id: '42' }, { type: 'external', id }, { type: 'district', id: 'primary' }. */
  subject: { type: string; id: string };
  /** null clears the open warning of this fingerprint (nothing happens when none is open). */
  grade: Grade | null;
  /** Shown as the warning's title in notifications and 叫应 calls. */
  title: string;
  reason: string;
  /** Call-plan category (duty): flood, fire, gas, ... or `other`. */
  category: string;
  blockCode?: string | null;
  kind?: string | null;
  /** When it happened (event time). */
  atMs: number;
  exercise?: boolean;
  /** Notifier channels besides MQTT. */
  notify?: readonly string[];
  data?: Record<string, unknown>;
}

export async function setDirectWarning(tx: Queryable, emit: Emit, ctx: WarningContext, input: DirectWarningInput, nowMs: number): Promise<WarningRow | undefined> {
  const last = await latestByFingerprint(tx, input.fingerprint);
  const open = last && last.state !== 'cleared' ? last : undefined;
  const to = input.grade === null ? 0 : gradeLevel(input.grade);
  const change = (from: number): Change => ({ from: from as Change['from'], to: to as Change['to'], atMs: input.atMs, reason: input.reason, metric: null, value: null, state: null });
  const notify = input.notify ?? [];
  if (to === 0) {
    if (!open) return undefined;
    return closeWarning(tx, emit, ctx, open, change(open.grade), { type: 'cleared', mute: open.silenced, title: input.title }, nowMs);
  }
  const data = { ...(input.data ?? {}), title: input.title };
  if (!open) {
    const row = await insertWarning(tx, {
      fingerprint: input.fingerprint, rule_id: null, rule_version: null, subject_type: input.subject.type, subject_id: input.subject.id,
      device_id: null, kind: input.kind ?? null, block_code: input.blockCode ?? '', category: input.category, grade: to, peak_grade: to,
      raised_at_ms: input.atMs, recorded_at_ms: nowMs, updated_at_ms: nowMs, transition_at_ms: input.atMs, silenced: false,
      exercise: input.exercise ?? false, metric: null, last_value: null, last_state: null, reason: input.reason, data,
    });
    await publish(tx, emit, ctx, row, change(0), notify, input.title, nowMs);
    return row;
  }
  if (open.grade === to) {
    return updateWarning(tx, open.id, { updated_at_ms: nowMs, reason: input.reason, data: { ...open.data, ...data } });
  }
  const row = await updateWarning(tx, open.id, {
    grade: to, peak_grade: Math.max(open.peak_grade, to), updated_at_ms: nowMs, transition_at_ms: input.atMs, reason: input.reason, data: { ...open.data, ...data },
  });
  await publish(tx, emit, ctx, row, change(open.grade), notify, input.title, nowMs);
  return row;
}

async function publish(tx: Queryable, emit: Emit, ctx: WarningContext, row: WarningRow, c: Change, notify: readonly string[], title: string, nowMs: number): Promise<void> {
  await recordChange(tx, emit, row, c, undefined, nowMs);
  await announce(tx, ctx, row, c, notify, nowMs, title);
  await callout(tx, emit, ctx, row, undefined, title, nowMs);
}

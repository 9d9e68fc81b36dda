import type { Queryable } from '../storage/db.js';
import type { EngineNotice } from '../../rules/engine/types.js';
import type { Emit } from './types.js';
import { warningEvent } from './actions.js';
import type { Change } from './change.js';
import { closeWarning, recordChange, type WarningContext } from './lifecycle.js';
import { addTimeline, insertWarning, latestByFingerprint, openForDevice, toView } from './repo.js';

/** Engine notices: a rule disabled at run time becomes a system warning; a late reading goes on the warning log. */

export const ruleDisabledFingerprint = (ruleId: string): string => `system/rule/${ruleId}`;
const YELLOW = 2;

export async function handleNotice(tx: Queryable, emit: Emit, ctx: WarningContext, n: EngineNotice, nowMs: number): Promise<void> {
  if (n.type === 'late_reading') {
    ctx.log.warn({ ruleId: n.ruleId, deviceId: n.deviceId, atMs: n.atMs }, `late reading: ${n.message}`);
    if (n.deviceId === null) return;
    for (const w of await openForDevice(tx, n.deviceId, n.ruleId)) {
      await addTimeline(tx, w.id, { type: 'late_reading', atMs: nowMs, text: n.message, data: { readingAtMs: n.atMs } });
    }
    return;
  }
  const ruleId = n.ruleId ?? 'unknown';
  ctx.log.warn({ ruleId }, `rule disabled: ${n.message}`);
  const fingerprint = ruleDisabledFingerprint(ruleId);
  const last = await latestByFingerprint(tx, fingerprint);
  if (last && last.state !== 'cleared') return; // already up: one system warning per disabled rule
  const row = await insertWarning(tx, {
    fingerprint, rule_id: ruleId, rule_version: null, subject_type: 'rule', subject_id: ruleId, device_id: null, kind: null, block_code: '',
    category: 'other', grade: YELLOW, peak_grade: YELLOW, raised_at_ms: n.atMs, recorded_at_ms: nowMs, updated_at_ms: nowMs, transition_at_ms: n.atMs,
    silenced: false, exercise: false, metric: null, last_value: null, last_state: null, reason: n.message, data: {},
  });
  await recordChange(tx, emit, row, { from: 0, to: YELLOW, atMs: n.atMs, reason: n.message, metric: null, value: null, state: null }, undefined, nowMs);
  await emit({ ...warningEvent('rule.disabled', row, { ruleId, message: n.message, warning: toView(row) }), subject: { type: 'rule', id: ruleId } });
}

/** Clears the system warning of a rule that runs again (a new version activated, or re-enabled). */
export async function resolveRuleDisabled(tx: Queryable, emit: Emit, ctx: WarningContext, ruleId: string, reason: string, nowMs: number): Promise<boolean> {
  const last = await latestByFingerprint(tx, ruleDisabledFingerprint(ruleId));
  if (!last || last.state === 'cleared') return false;
  const c: Change = { from: last.grade as Change['from'], to: 0, atMs: nowMs, reason, metric: null, value: null, state: null };
  await closeWarning(tx, emit, ctx, last, c, { type: 'cleared', mute: true }, nowMs);
  return true;
}

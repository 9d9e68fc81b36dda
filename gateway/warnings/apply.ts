import type { Queryable } from '../storage/db.js';
import type { Transition, VersionedRule } from '../../rules/engine/types.js';
import type { Emit } from './types.js';
import { announce, callout, gradeActions, ackSettings, recordRequests, warningTitle } from './actions.js';
import { changeOf, type Change } from './change.js';
import { closeWarning, recordChange, type WarningContext } from './lifecycle.js';
import { insertWarning, latestByFingerprint, updateWarning, type WarningRow } from './repo.js';
import { silenceMatches, type SilenceRow } from './silences.js';
import { absorb, joinStorm, openStorm, openStormOf } from './storm.js';

/**
 * One engine transition → the warning it names: a raise inserts, an up/down grades the open
 * warning in place, a clear closes it. A transition the table already reflects (a replay after
 * a crash, or a re-applied batch) changes nothing.
 */
export async function applyTransition(tx: Queryable, emit: Emit, ctx: WarningContext, t: Transition, rule: VersionedRule | undefined, silences: readonly SilenceRow[], nowMs: number): Promise<void> {
  const last = await latestByFingerprint(tx, t.fingerprint);
  if (last && isReplay(last, t)) {
    ctx.log.debug({ fingerprint: t.fingerprint, atMs: t.atMs, warningId: last.id }, 'transition already applied');
    return;
  }
  const open = last && last.state !== 'cleared' ? last : undefined;
  const silence = silences.find((s) => silenceMatches(s, { deviceId: t.deviceId, kind: t.kind, blockCode: t.blockCode, ruleId: t.ruleId }));
  const c = changeOf(t);
  if (t.to === 0) {
    if (!open) return; // cleared by hand already
    const mute = silence !== undefined || open.silenced || (await openStormOf(tx, open.storm_id)) !== undefined;
    await closeWarning(tx, emit, ctx, open, { ...c, from: open.grade as Change['from'] }, { type: 'cleared', mute, title: warningTitle(open, rule), ...(silence ? { silence } : {}) }, nowMs);
  } else if (!open) {
    await raise(tx, emit, ctx, t, { ...c, from: 0 }, rule, silence, nowMs);
  } else if (open.grade !== t.to) {
    await regrade(tx, emit, ctx, open, t, { ...c, from: open.grade as Change['from'] }, rule, silence, nowMs);
  } else {
    // The engine re-raised at the grade the warning already has (a manual clear raced it): keep the latest values.
    await updateWarning(tx, open.id, { transition_at_ms: t.atMs, updated_at_ms: nowMs, last_value: t.value, last_state: t.state, reason: t.reason });
  }
}

/** Older than the warning's last change, or the same change again. */
function isReplay(last: WarningRow, t: Transition): boolean {
  if (t.atMs !== last.transition_at_ms) return t.atMs < last.transition_at_ms;
  return t.to === 0 ? last.state === 'cleared' : last.state !== 'cleared' && last.grade === t.to;
}

async function raise(tx: Queryable, emit: Emit, ctx: WarningContext, t: Transition, c: Change, rule: VersionedRule | undefined, silence: SilenceRow | undefined, nowMs: number): Promise<void> {
  let row = await insertWarning(tx, {
    fingerprint: t.fingerprint, rule_id: t.ruleId, rule_version: t.ruleVersion, subject_type: t.subject.type, subject_id: t.subject.id,
    device_id: t.deviceId, kind: t.kind, block_code: t.blockCode, category: rule?.rule.category ?? 'other', grade: t.to, peak_grade: t.to,
    raised_at_ms: t.atMs, recorded_at_ms: nowMs, updated_at_ms: nowMs, transition_at_ms: t.atMs, silenced: silence !== undefined,
    exercise: t.exercise, metric: t.metric, last_value: t.value, last_state: t.state, reason: t.reason, data: t.devices ? { devices: t.devices } : {},
  });
  await recordChange(tx, emit, row, c, silence, nowMs);
  if (silence) return;
  const actions = gradeActions(rule, t.to);
  if (await inStorm(tx, ctx, t, nowMs)) {
    row = await joinStorm(tx, emit, ctx, row, actions?.notify ?? [], nowMs);
  } else {
    const title = warningTitle(row, rule);
    await announce(tx, ctx, row, c, actions?.notify ?? [], nowMs, title);
    await callout(tx, emit, ctx, row, actions, title, nowMs);
  }
  await recordRequests(tx, emit, ctx, row, actions, nowMs);
}

/** Counts the new warning in its block's minute; past the limit, or while the block's storm is open, it joins the storm. */
async function inStorm(tx: Queryable, ctx: WarningContext, t: Transition, nowMs: number): Promise<boolean> {
  if (t.blockCode === '') return false;
  const count = ctx.window.add(t.blockCode, `${t.fingerprint}@${t.atMs}`, nowMs);
  if (count > ctx.warnings.stormPerBlockPerMinute) return true;
  return ctx.window.openStorm(t.blockCode) !== undefined && (await openStorm(tx, ctx, t.blockCode)) !== undefined;
}

async function regrade(tx: Queryable, emit: Emit, ctx: WarningContext, open: WarningRow, t: Transition, c: Change, rule: VersionedRule | undefined, silence: SilenceRow | undefined, nowMs: number): Promise<void> {
  const actions = gradeActions(rule, t.to);
  // An upgrade to a grade that needs 叫应 needs a new acknowledgement.
  const reopen = t.to > open.grade && open.state === 'acknowledged' && ackSettings(t.to, actions, ctx.warnings) !== null;
  const row = await updateWarning(tx, open.id, {
    grade: t.to, peak_grade: Math.max(open.peak_grade, t.to), updated_at_ms: nowMs, transition_at_ms: t.atMs, rule_version: t.ruleVersion,
    metric: t.metric, last_value: t.value, last_state: t.state, reason: t.reason, silenced: silence !== undefined,
    ...(reopen ? { state: 'active' as const, acknowledged_at_ms: null, acknowledged_by: null } : {}),
  });
  await recordChange(tx, emit, row, c, silence, nowMs);
  if (silence) return;
  const storm = await openStormOf(tx, row.storm_id);
  if (storm) {
    await absorb(tx, emit, ctx, storm, row, actions?.notify ?? [], nowMs);
  } else {
    const title = warningTitle(row, rule);
    await announce(tx, ctx, row, c, actions?.notify ?? [], nowMs, title);
    await callout(tx, emit, ctx, row, actions, title, nowMs);
  }
  await recordRequests(tx, emit, ctx, row, actions, nowMs);
}

import { GatewayError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';
import type { Emit } from './types.js';
import { warningEvent } from './actions.js';
import type { Change } from './change.js';
import { closeWarning, type WarningContext } from './lifecycle.js';
import { openStormOf } from './storm.js';
import { addTimeline, getWarning, toView, updateWarning, type WarningRow } from './repo.js';

/** What people do to a warning through the API: acknowledge (叫应), comment, clear by hand. */

export interface Actor {
  /** Shown on the warning and its timeline: the principal's name. */
  name: string;
  principalId: string;
  role: string;
}

export interface ManualResult {
  before: WarningRow;
  after: WarningRow;
  /** False when nothing changed (acknowledging an acknowledged warning). */
  changed: boolean;
}

async function mustGet(tx: Queryable, id: string): Promise<WarningRow> {
  const row = await getWarning(tx, id, { forUpdate: true });
  if (!row) throw new GatewayError('GW_ERR_NOT_FOUND', `warning ${id} does not exist`);
  return row;
}

function mustBeOpen(row: WarningRow, what: string): void {
  if (row.state === 'cleared') throw new GatewayError('GW_ERR_CONFLICT', `warning ${row.id} is already cleared: nothing to ${what}`);
}

/** Records who acknowledged, stops the callout. Acknowledging twice changes nothing. */
export async function acknowledge(tx: Queryable, emit: Emit, ctx: WarningContext, id: string, by: Actor, opts: { note?: string | null; personId?: string | null }, nowMs: number): Promise<ManualResult> {
  const before = await mustGet(tx, id);
  mustBeOpen(before, 'acknowledge');
  if (before.state === 'acknowledged') return { before, after: before, changed: false };
  const stopped = await ctx.duty.acknowledge(tx, String(before.id), { actor: by.name, personId: opts.personId ?? null, note: opts.note ?? null }, nowMs, emit);
  const after = await markAcknowledged(tx, emit, before, by.name, opts.note ?? null, { principalId: by.principalId, role: by.role, personId: opts.personId ?? null, calloutStopped: stopped }, nowMs);
  return { before, after, changed: true };
}

/** The duty side's acknowledgement (the phone gateway's callback): the warning is marked too. Hook for `duty.onAcknowledged`. */
export async function acknowledgedByDuty(tx: Queryable, emit: Emit, warningId: string, by: { actor: string; personId?: string | null; note?: string | null }, nowMs: number): Promise<void> {
  if (!/^[0-9]{1,19}$/.test(warningId)) return;
  const before = await getWarning(tx, warningId, { forUpdate: true });
  if (!before || before.state !== 'active') return;
  await markAcknowledged(tx, emit, before, by.actor, by.note ?? null, { via: 'duty', personId: by.personId ?? null, calloutStopped: true }, nowMs);
}

async function markAcknowledged(tx: Queryable, emit: Emit, before: WarningRow, name: string, note: string | null, data: Record<string, unknown>, nowMs: number): Promise<WarningRow> {
  const after = await updateWarning(tx, before.id, { state: 'acknowledged', acknowledged_at_ms: nowMs, acknowledged_by: name, updated_at_ms: nowMs });
  await addTimeline(tx, after.id, { type: 'acknowledged', atMs: nowMs, toGrade: after.grade, actor: name, text: note, data });
  await emit(warningEvent('warning.acknowledged', after, { warning: toView(after), by: name, note }));
  return after;
}

export async function comment(tx: Queryable, emit: Emit, id: string, by: Actor, text: string, nowMs: number): Promise<ManualResult> {
  const before = await mustGet(tx, id);
  const after = await updateWarning(tx, before.id, { updated_at_ms: nowMs });
  await addTimeline(tx, after.id, { type: 'comment', atMs: nowMs, actor: by.name, text, data: { principalId: by.principalId, role: by.role } });
  await emit(warningEvent('warning.comment', after, { warning: toView(after), comment: { by: by.name, text } }));
  return { before, after, changed: true };
}

/**
 * Clears an open warning by hand, with a reason. The engine may still hold the grade: a later
 * grade change from it raises a new warning, its clear is ignored.
 */
export async function manualClear(tx: Queryable, emit: Emit, ctx: WarningContext, id: string, by: Actor, reason: string, nowMs: number): Promise<ManualResult> {
  const before = await mustGet(tx, id);
  mustBeOpen(before, 'clear');
  const c: Change = { from: before.grade as Change['from'], to: 0, atMs: nowMs, reason, metric: before.metric, value: before.last_value, state: before.last_state, manual: true };
  const mute = before.silenced || (await openStormOf(tx, before.storm_id)) !== undefined;
  const after = await closeWarning(tx, emit, ctx, before, c, { type: 'manual_clear', actor: by.name, mute }, nowMs);
  return { before, after, changed: true };
}

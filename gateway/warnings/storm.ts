import type { Queryable } from '../storage/db.js';
import type { Emit } from './types.js';
import { announce, callout, warningEvent, warningTitle } from './actions.js';
import type { Change } from './change.js';
import { closeWarning, recordChange, type WarningContext } from './lifecycle.js';
import { addTimeline, getWarning, insertWarning, latestByFingerprint, toView, updateWarning, type WarningRow } from './repo.js';
import { stormFingerprint, STORM_WINDOW_MS } from './storm-window.js';

/**
 * Storm control (docs/warnings.md): past warnings.stormPerBlockPerMinute new warnings in one
 * block within a sliding minute, the rest are still recorded but grouped into one storm
 * warning for the block, notified once per grade (and once per notifier its members name),
 * cleared after a minute without new members.
 */

interface StormData {
  members: string[];
  channels: string[];
}

function stormData(w: WarningRow): StormData {
  const d = w.data as Partial<StormData>;
  return { members: Array.isArray(d.members) ? d.members : [], channels: Array.isArray(d.channels) ? d.channels : [] };
}

/** The block's open storm warning, if any (memory first, the table decides). */
export async function openStorm(tx: Queryable, ctx: WarningContext, block: string): Promise<WarningRow | undefined> {
  const id = ctx.window.openStorm(block);
  const known = id !== undefined ? await getWarning(tx, id, { forUpdate: true }) : undefined;
  if (known && known.state !== 'cleared') return known;
  const latest = await latestByFingerprint(tx, stormFingerprint(block));
  return latest && latest.state !== 'cleared' ? latest : undefined;
}

/** The storm a member was grouped into, while it is open (the member's own changes stay muted meanwhile). */
export async function openStormOf(tx: Queryable, stormId: number | null): Promise<WarningRow | undefined> {
  if (stormId === null) return undefined;
  const storm = await getWarning(tx, stormId, { forUpdate: true });
  return storm && storm.state !== 'cleared' ? storm : undefined;
}

/** Groups a new warning into its block's storm, opening the storm when there is none. */
export async function joinStorm(tx: Queryable, emit: Emit, ctx: WarningContext, member: WarningRow, channels: readonly string[], nowMs: number): Promise<WarningRow> {
  const block = member.block_code;
  const open = await openStorm(tx, ctx, block);
  let storm = open ? await absorb(tx, emit, ctx, open, member, channels, nowMs) : await openNewStorm(tx, emit, ctx, member, channels, nowMs);
  const members = stormData(storm).members;
  if (!members.includes(String(member.id))) storm = await updateWarning(tx, storm.id, { data: { ...storm.data, members: [...members, String(member.id)] } });
  await addTimeline(tx, storm.id, { type: 'storm_grouped', atMs: nowMs, toGrade: member.grade, data: { warningId: String(member.id) } });
  await addTimeline(tx, member.id, { type: 'storm_grouped', atMs: nowMs, toGrade: member.grade, data: { stormId: String(storm.id) } });
  const joined = await updateWarning(tx, member.id, { storm_id: storm.id });
  await emit(warningEvent('warning.storm', storm, { warning: toView(storm), memberId: String(member.id) }));
  ctx.window.joined(block, storm.id, nowMs);
  return joined;
}

async function openNewStorm(tx: Queryable, emit: Emit, ctx: WarningContext, member: WarningRow, channels: readonly string[], nowMs: number): Promise<WarningRow> {
  const block = member.block_code;
  const reason = `storm: more than ${ctx.warnings.stormPerBlockPerMinute} new warnings in block ${block} within a minute`;
  const storm = await insertWarning(tx, {
    fingerprint: stormFingerprint(block), rule_id: null, rule_version: null, subject_type: 'block', subject_id: block, device_id: null, kind: null,
    block_code: block, category: member.category, grade: member.grade, peak_grade: member.grade, raised_at_ms: nowMs, recorded_at_ms: nowMs,
    updated_at_ms: nowMs, transition_at_ms: nowMs, silenced: false, exercise: member.exercise, metric: null, last_value: null, last_state: null,
    reason, data: { members: [String(member.id)], channels: [...new Set(channels)] },
  });
  const change: Change = { from: 0, to: member.grade as Change['to'], atMs: nowMs, reason, metric: null, value: null, state: null };
  await recordChange(tx, emit, storm, change, undefined, nowMs, { storm: true });
  await announce(tx, ctx, storm, change, channels, nowMs);
  await callout(tx, emit, ctx, storm, undefined, warningTitle(storm), nowMs);
  return storm;
}

/**
 * Takes a member's grade and notifiers into the storm: the storm's grade is the highest of its
 * members; a rise is notified to every notifier the storm has, and a notifier that has not
 * heard of the storm yet hears of it as it stands.
 */
export async function absorb(tx: Queryable, emit: Emit, ctx: WarningContext, storm: WarningRow, member: WarningRow, channels: readonly string[], nowMs: number): Promise<WarningRow> {
  const before = stormData(storm);
  const added = [...new Set(channels)].filter((ch) => !before.channels.includes(ch));
  const previous = storm.grade as Change['from'];
  const grade = Math.max(previous, member.grade) as Change['to'];
  const rose = grade > previous;
  if (!rose && added.length === 0 && (storm.exercise === false || member.exercise)) return storm;
  const row = await updateWarning(tx, storm.id, {
    data: { ...storm.data, channels: [...before.channels, ...added] },
    grade,
    peak_grade: Math.max(storm.peak_grade, grade),
    updated_at_ms: nowMs,
    exercise: storm.exercise && member.exercise,
    ...(rose ? { transition_at_ms: nowMs } : {}),
  });
  if (rose) {
    const change: Change = { from: previous, to: grade, atMs: nowMs, reason: row.reason, metric: null, value: null, state: null };
    await recordChange(tx, emit, row, change, undefined, nowMs, { storm: true });
    await announce(tx, ctx, row, change, stormData(row).channels, nowMs);
    await callout(tx, emit, ctx, row, undefined, warningTitle(row), nowMs);
  } else if (added.length > 0) {
    await announce(tx, ctx, row, { from: 0, to: grade, atMs: row.transition_at_ms, reason: row.reason, metric: null, value: null, state: null }, added, nowMs);
  }
  return row;
}

/** Clears the storms whose last member joined a minute ago or more. */
export async function clearQuietStorms(tx: Queryable, emit: Emit, ctx: WarningContext, nowMs: number): Promise<void> {
  for (const { id } of ctx.window.due(nowMs)) {
    const storm = await getWarning(tx, id, { forUpdate: true });
    // Forgotten only once the table shows it cleared: a rolled-back clear is retried on the next call.
    if (!storm || storm.state === 'cleared') {
      ctx.window.forget(id);
      continue;
    }
    const reason = `no new warnings in block ${storm.block_code} for ${STORM_WINDOW_MS / 1000}s`;
    await closeWarning(tx, emit, ctx, storm, { from: storm.grade as Change['from'], to: 0, atMs: nowMs, reason, metric: null, value: null, state: null }, { type: 'cleared', mute: false }, nowMs);
  }
}

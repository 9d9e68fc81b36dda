import type { Logger } from '../core/log.js';
import type { Queryable } from '../storage/db.js';
import type { Emit } from './types.js';
import { announce, notifiedChannels, warningEvent, type ActionDeps } from './actions.js';
import { changeEvent, changeType, transitionView, type Change } from './change.js';
import { addTimeline, toView, updateWarning, type WarningRow } from './repo.js';
import type { SilenceRow } from './silences.js';
import type { StormWindow } from './storm-window.js';

/** What the warning lifecycle functions share: collaborators, storm memory and the warning log. */
export interface WarningContext extends ActionDeps {
  window: StormWindow;
  log: Logger;
}

/** The timeline entries and the warning.* event of one change. */
export async function recordChange(tx: Queryable, emit: Emit, w: WarningRow, c: Change, silence: SilenceRow | undefined, nowMs: number, extra: Record<string, unknown> = {}): Promise<void> {
  await addTimeline(tx, w.id, {
    type: changeType(c),
    atMs: c.atMs,
    fromGrade: c.from,
    toGrade: c.to,
    value: c.value,
    state: c.state,
    text: c.reason,
    data: { ruleVersion: w.rule_version, ...(c.devices ? { devices: c.devices } : {}) },
  });
  if (silence) await addTimeline(tx, w.id, { type: 'silenced', atMs: nowMs, toGrade: c.to, text: silence.reason, data: { silenceId: String(silence.id), author: silence.author } });
  await emit(warningEvent(changeEvent(c), w, { warning: toView(w), transition: transitionView(c), silence: silence ? { id: String(silence.id), reason: silence.reason } : null, ...extra }));
}

export interface CloseOptions {
  /** `cleared` (the engine, a storm's quiet minute) or `manual_clear` (by hand, with a reason). */
  type: 'cleared' | 'manual_clear';
  actor?: string;
  /** Nothing goes out: the warning was silenced, or it belongs to an open storm. */
  mute: boolean;
  silence?: SilenceRow;
  /** For the notification text; default the rule id (docs/warnings.md). */
  title?: string;
}

/**
 * Clears an open warning: state, timeline, warning.cleared, the callout cancelled, and (unless
 * muted) MQTT and every channel that heard of it told that it is lifted.
 */
export async function closeWarning(tx: Queryable, emit: Emit, ctx: WarningContext, open: WarningRow, c: Change, o: CloseOptions, nowMs: number): Promise<WarningRow> {
  const row = await updateWarning(tx, open.id, {
    state: 'cleared',
    cleared_at_ms: c.atMs,
    updated_at_ms: nowMs,
    transition_at_ms: c.atMs,
    ...(c.manual ? {} : { last_value: c.value, last_state: c.state, metric: c.metric, reason: c.reason }),
  });
  if (o.type === 'manual_clear') {
    await addTimeline(tx, row.id, { type: 'manual_clear', atMs: c.atMs, fromGrade: c.from, actor: o.actor ?? null, text: c.reason });
    await emit(warningEvent('warning.cleared', row, { warning: toView(row), transition: transitionView(c), by: o.actor ?? null }));
  } else {
    await recordChange(tx, emit, row, c, o.silence, nowMs);
  }
  await ctx.duty.cancel(tx, String(row.id), o.type === 'manual_clear' ? `cleared by hand: ${c.reason}` : 'the warning cleared', nowMs, emit);
  if (!o.mute) await announce(tx, ctx, row, c, await notifiedChannels(tx, row.id), nowMs, o.title);
  return row;
}

import type { Logger } from '../core/log.js';
import type { Queryable } from '../storage/db.js';
import type { Outbox } from '../outbox/types.js';
import type { Emit } from '../warnings/types.js';
import { writeLog, type Callout } from './callout-store.js';
import { whoIsOnDuty } from './roster.js';
import type { Person } from './schema.js';

/**
 * Placing one call of a callout: who (the person on duty for the step's role), on which
 * channels (the outbox, one message per channel), what it says (the call payload), and the
 * log row and event that record it.
 */
export type CallType = 'call' | 'reminder' | 'escalated';

/** What the phone / SMS gateway receives (docs/duty.md "The call payload"). */
export interface CallPayload extends Record<string, unknown> {
  type: `callout.${CallType}`;
  warningId: string;
  grade: string;
  category: string;
  blockCode: string;
  summary: string;
  step: number;
  role: string;
  person: Person;
  /** Where the gateway posts the acknowledgement: `POST {acknowledgeUrl}` with `{ personId }`. */
  acknowledgeUrl: string;
  /** This step's deadline, ISO 8601 in +08:00. */
  deadline: string;
  exercise: boolean;
  /** Sequence number of this call in the callout (1, 2, …). */
  call: number;
}

export interface CallContext {
  outbox: Outbox;
  logger: Logger;
  acknowledgeUrl: (warningId: string) => string;
}

/** `2026-01-01T08:00:00.000+08:00`: the time the town reads, as the event feed writes it. */
export function isoShanghai(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace('Z', '+08:00');
}

/**
 * A fault (nobody to call, no channel) is logged as an error when a step starts; the reminders
 * that follow every minute would repeat it, so they log it at debug (the call log has each one).
 */
function logLevel(type: CallType): 'error' | 'debug' {
  return type === 'reminder' ? 'debug' : 'error';
}

/**
 * Calls the person for the callout's current step (a reminder goes to the person already
 * called; a call or escalation asks the roster who is on duty now). Nobody to call: an error
 * in the log and a `callout.unstaffed` event; the next reminder time tries again. Mutates
 * `c.person` and `c.calls`; the caller saves.
 */
export async function placeCall(ctx: CallContext, tx: Queryable, emit: Emit | undefined, c: Callout, type: CallType, nowMs: number): Promise<void> {
  const step = c.steps[c.step];
  if (!step) throw new Error(`callout ${c.warningId} has no step ${c.step}`);
  let person = type === 'reminder' ? c.person : null;
  if (!person) {
    const found = await whoIsOnDuty(tx, c.blockCode, c.kind, nowMs);
    person = found?.shift.people[step.role][0] ?? null;
    if (!person) {
      c.person = null;
      const why = found ? `the shift on duty (${found.shift.id}) has no ${step.role}` : 'no shift is on duty for this block, and no default shift';
      ctx.logger[logLevel(type)]({ warningId: c.warningId, blockCode: c.blockCode, kind: c.kind, role: step.role, step: c.step }, `callout unstaffed: ${why}`);
      await writeLog(tx, emit, c, { type: 'unstaffed', role: step.role, person: null, channel: null, detail: why }, nowMs);
      return;
    }
    // The first call that reaches someone at this step is a call, not a reminder.
    if (type === 'reminder') type = 'call';
  }
  c.person = person;
  c.calls += 1;
  const payload: CallPayload = {
    type: `callout.${type}`, warningId: c.warningId, grade: c.grade, category: c.category, blockCode: c.blockCode, summary: c.summary,
    step: c.step, role: step.role, person, acknowledgeUrl: ctx.acknowledgeUrl(c.warningId), deadline: isoShanghai(c.deadlineAtMs),
    exercise: c.exercise, call: c.calls,
  };
  const sent: string[] = [];
  const missing: string[] = [];
  for (const channel of step.channels) {
    if (!ctx.outbox.hasChannel(channel)) {
      missing.push(channel);
      continue;
    }
    // A call older than its step's deadline is stale: the chain has moved on by then.
    await ctx.outbox.enqueue(tx, {
      channel, key: `callout:${c.warningId}:${c.step}:${c.calls}:${channel}`, payload,
      subject: { type: 'warning', id: c.warningId }, maxAgeMs: Math.max(step.deadlineMs, 60_000),
    });
    sent.push(channel);
  }
  if (missing.length > 0) {
    ctx.logger[logLevel(type)]({ warningId: c.warningId, step: c.step, role: step.role, missing }, sent.length > 0 ? 'callout channels not configured; called on the others' : 'no callout channel is configured: the call reaches only the event feed');
  }
  const detail = `${type} ${step.role} on ${sent.length > 0 ? sent.join(', ') : 'no channel'}${missing.length > 0 ? ` (not configured: ${missing.join(', ')})` : ''}`;
  await writeLog(tx, emit, c, {
    type, role: step.role, person: { id: person.id, name: person.name }, channel: sent.length > 0 ? sent.join(',') : null, detail,
    data: { deadline: isoShanghai(c.deadlineAtMs), call: c.calls, summary: c.summary },
  }, nowMs);
}

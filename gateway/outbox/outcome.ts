import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { Claimed, ResultRow } from './store.js';
import type { DeliveryResult } from './types.js';

/**
 * What a channel's answer means for the row: delivered, failed for good, or pending again
 * after a backoff (or the receiver's Retry-After). The next attempt is never set after the
 * give-up time, so a message that keeps failing is given up on time rather than a backoff late.
 */
export interface OutcomeContext {
  policy: BackoffPolicy;
  random: () => number;
  /** When the channel was called and when it answered (the gateway clock). */
  atMs: number;
  nowMs: number;
  durationMs: number;
}

/** Channels that speak HTTP add the status code to their result; others leave it out. */
export function resultStatus(r: DeliveryResult): number | null {
  const status = (r as { status?: unknown }).status;
  return typeof status === 'number' && Number.isInteger(status) ? status : null;
}

export function outcomeOf(c: Claimed, r: DeliveryResult, ctx: OutcomeContext): ResultRow {
  const base = { id: c.message.id, attempted: true, atMs: ctx.atMs, durationMs: Math.max(0, Math.round(ctx.durationMs)), status: resultStatus(r), endpoint: r.endpoint ?? null };
  if (r.ok) {
    return { ...base, state: 'delivered', ok: true, retryable: false, nextAttemptMs: null, error: null, receipt: r.receipt ?? null, deliveredAtMs: ctx.nowMs };
  }
  const error = r.error.slice(0, 2000);
  if (!r.retryable) {
    return { ...base, state: 'failed', ok: false, retryable: false, nextAttemptMs: null, error, receipt: null, deliveredAtMs: null };
  }
  return { ...base, state: 'pending', ok: false, retryable: true, nextAttemptMs: nextAttempt(c, ctx, c.message.attempts + 1, r.retryAfterMs), error, receipt: null, deliveredAtMs: null };
}

/** No channel by that name (yet: a configuration reload may add it): no call made, try again later. */
export function noChannelOutcome(c: Claimed, ctx: OutcomeContext): ResultRow {
  return {
    id: c.message.id, attempted: false, atMs: ctx.atMs, durationMs: 0, status: null, endpoint: null,
    state: 'pending', ok: false, retryable: true, nextAttemptMs: nextAttempt(c, ctx, Math.max(1, c.message.attempts)),
    error: `no notifier channel named "${c.message.channel}" is configured`, receipt: null, deliveredAtMs: null,
  };
}

function nextAttempt(c: Claimed, ctx: OutcomeContext, attempts: number, retryAfterMs?: number): number {
  const delay = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? Math.max(0, retryAfterMs) : backoffDelay(ctx.policy, attempts, ctx.random);
  return Math.min(ctx.nowMs + delay, c.giveUpAtMs);
}

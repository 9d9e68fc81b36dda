import type { Queryable } from '../storage/db.js';

/**
 * The one durable delivery mechanism (DESIGN.md "District link"): rows in `outbox`, claimed by
 * workers with `FOR UPDATE SKIP LOCKED`, delivered by a named channel, retried with exponential
 * backoff and jitter until delivered or older than its maximum age. Notifications, 叫应 calls,
 * the district link and subscriptions all go through it.
 */

export interface EnqueueInput {
  /** A registered channel name (config `notifiers[].name`, or a built-in: `mqtt`, `sse`). */
  channel: string;
  /** Idempotency key: enqueueing the same key twice is a no-op; receivers see it as a header. */
  key: string;
  payload: Record<string, unknown>;
  /**
   * Messages with the same order key on the same channel are delivered one at a time, in enqueue
   * order. Other channels are not held back: a receiver that is down delays only its own messages.
   */
  orderKey?: string;
  /** Not before this time (epoch ms): scheduled calls and reminders. */
  notBeforeMs?: number;
  /** Give up after this age (default config outbox.maxAgeMs). */
  maxAgeMs?: number;
  /** What it is about, for the API and the case/warning file: { type: 'warning', id }. */
  subject?: { type: string; id: string };
}

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'given_up';

export interface OutboxMessage {
  id: string;
  channel: string;
  key: string;
  payload: Record<string, unknown>;
  orderKey: string | null;
  subject: { type: string; id: string } | null;
  attempts: number;
  createdAtMs: number;
  state: DeliveryState;
}

/** `endpoint`: which of a channel's endpoints took the call (the district link's primary or backup), recorded per attempt. */
export type DeliveryResult =
  | { ok: true; receipt?: Record<string, unknown>; endpoint?: string }
  | { ok: false; retryable: boolean; error: string; retryAfterMs?: number; endpoint?: string };

/** A notifier: says on each failure whether a retry could help (Alertmanager-style). */
export interface Channel {
  readonly name: string;
  readonly type: string;
  deliver(msg: OutboxMessage, signal: AbortSignal): Promise<DeliveryResult>;
}

export interface Outbox {
  /** Inside the caller's transaction: the message exists iff the transaction commits. */
  enqueue(tx: Queryable, m: EnqueueInput): Promise<{ id: string; duplicate: boolean }>;
  register(channel: Channel): void;
  hasChannel(name: string): boolean;
  /** Wakes the workers (after a commit that enqueued something due now). */
  poke(): void;
  /**
   * Makes every message of a channel that is waiting out a retry backoff due now (a receiver
   * that was down answers again: its backlog need not wait up to outbox.backoffMaxMs). Messages
   * never tried (scheduled for later) keep their time. Resolves to how many were moved.
   */
  expedite?(channel: string): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

import type { Queryable } from '../storage/db.js';
import { GatewayError } from '../core/errors.js';
import type { EnqueueInput, OutboxMessage } from './types.js';

/**
 * The worker side of the `outbox` table: enqueue, claim a batch, record a batch of results,
 * release what was claimed but not started. Every time is a parameter (the gateway's clock).
 */

export async function enqueueMessage(tx: Queryable, m: EnqueueInput, nowMs: number, defaultMaxAgeMs: number): Promise<{ id: string; duplicate: boolean }> {
  if (m.channel.length === 0) throw new GatewayError('GW_ERR_VALIDATION', 'outbox message without a channel', [{ field: 'channel', message: 'must not be empty' }]);
  if (m.key.length === 0) throw new GatewayError('GW_ERR_VALIDATION', 'outbox message without an idempotency key', [{ field: 'key', message: 'must not be empty' }]);
  const maxAgeMs = m.maxAgeMs ?? defaultMaxAgeMs;
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) throw new GatewayError('GW_ERR_VALIDATION', `outbox maxAgeMs ${maxAgeMs} is not a duration`, [{ field: 'maxAgeMs', message: 'must be ≥ 0' }]);
  const notBeforeMs = Math.max(m.notBeforeMs ?? nowMs, nowMs);
  const inserted = await tx.query<{ id: unknown }>(
    `INSERT INTO outbox (channel, idem_key, payload, order_key, subject_type, subject_id, state, attempts,
                         created_at_ms, not_before_ms, max_age_ms, give_up_at_ms, next_attempt_ms)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $9, $10, $8)
     ON CONFLICT (channel, idem_key) DO NOTHING
     RETURNING id`,
    [m.channel, m.key, JSON.stringify(m.payload), m.orderKey ?? null, m.subject?.type ?? null, m.subject?.id ?? null, nowMs, notBeforeMs, maxAgeMs, notBeforeMs + maxAgeMs],
  );
  const row = inserted.rows[0];
  if (row) return { id: String(row.id), duplicate: false };
  const existing = await tx.query<{ id: unknown }>('SELECT id FROM outbox WHERE channel = $1 AND idem_key = $2', [m.channel, m.key]);
  const found = existing.rows[0];
  if (!found) throw new Error(`outbox: conflict on (${m.channel}, key) but no row found`);
  return { id: String(found.id), duplicate: true };
}

/** A claimed row: the message, and whether it was claimed to be delivered or found past its age. */
export interface Claimed {
  message: OutboxMessage;
  givenUp: boolean;
  lockedUntilMs: number;
  giveUpAtMs: number;
}

/** The columns an OutboxMessage is read from. */
export interface MessageRow {
  id: unknown;
  channel: string;
  idem_key: string;
  payload: Record<string, unknown>;
  order_key: string | null;
  subject_type: string | null;
  subject_id: string | null;
  attempts: number;
  created_at_ms: unknown;
  give_up_at_ms: unknown;
  state: OutboxMessage['state'];
}

/**
 * Claims up to `limit` due messages in one statement: pending, due, not leased by a live
 * worker, and not behind an older pending message with the same order key on the same channel
 * (order is per receiver: one that is down must not hold back what the others get). Rows locked by
 * another claimer are skipped (SKIP LOCKED); the lease is taken in the same statement, so a
 * second process never sees the row as claimable. Messages past their give-up time come back
 * with `givenUp` (their state already `given_up`), not to be delivered.
 */
export async function claimDue(db: Queryable, opts: { nowMs: number; leaseMs: number; owner: string; limit: number }): Promise<Claimed[]> {
  const lockedUntilMs = opts.nowMs + opts.leaseMs;
  const r = await db.query<MessageRow>(
    `WITH due AS (
       SELECT o.id FROM outbox o
       WHERE o.state = 'pending' AND o.next_attempt_ms <= $1
         AND (o.locked_until_ms IS NULL OR o.locked_until_ms < $1)
         AND (o.order_key IS NULL OR NOT EXISTS (
               SELECT 1 FROM outbox p WHERE p.channel = o.channel AND p.order_key = o.order_key AND p.state = 'pending' AND p.id < o.id))
       ORDER BY o.id
       LIMIT $4
       FOR UPDATE SKIP LOCKED
     )
     UPDATE outbox o SET
       state = CASE WHEN o.give_up_at_ms <= $1 THEN 'given_up' ELSE o.state END,
       last_error = CASE WHEN o.give_up_at_ms <= $1 THEN 'given up: older than its maximum age' || coalesce(' (last error: ' || o.last_error || ')', '') ELSE o.last_error END,
       locked_until_ms = CASE WHEN o.give_up_at_ms <= $1 THEN NULL ELSE $2::int8 END,
       locked_by = CASE WHEN o.give_up_at_ms <= $1 THEN NULL ELSE $3 END
     FROM due WHERE o.id = due.id
     RETURNING o.id, o.channel, o.idem_key, o.payload, o.order_key, o.subject_type, o.subject_id, o.attempts, o.created_at_ms, o.give_up_at_ms, o.state`,
    [opts.nowMs, lockedUntilMs, opts.owner, opts.limit],
  );
  return r.rows
    .map((row) => ({ message: toMessage(row), givenUp: row.state === 'given_up', lockedUntilMs, giveUpAtMs: Number(row.give_up_at_ms) }))
    .sort((a, b) => Number(a.message.id) - Number(b.message.id));
}

export function toMessage(row: MessageRow): OutboxMessage {
  return {
    id: String(row.id),
    channel: row.channel,
    key: row.idem_key,
    payload: row.payload,
    orderKey: row.order_key,
    subject: row.subject_type !== null ? { type: row.subject_type, id: row.subject_id ?? '' } : null,
    attempts: Number(row.attempts),
    createdAtMs: Number(row.created_at_ms),
    state: row.state,
  };
}

/** What became of one claimed message. `attempted: false` when no channel was called (none registered by that name). */
export interface ResultRow {
  id: string;
  state: OutboxMessage['state'];
  attempted: boolean;
  ok: boolean;
  retryable: boolean;
  atMs: number;
  durationMs: number;
  nextAttemptMs: number | null;
  error: string | null;
  status: number | null;
  /** Which endpoint of the channel took the call, where it has several (DeliveryResult.endpoint). */
  endpoint: string | null;
  receipt: Record<string, unknown> | null;
  deliveredAtMs: number | null;
}

/**
 * Records a batch of results in one statement: the outbox rows (only those this worker still
 * holds: a row whose lease expired and was claimed again belongs to the new holder) and one
 * outbox_attempts row per call made.
 */
export async function recordResults(db: Queryable, owner: string, results: readonly ResultRow[]): Promise<void> {
  if (results.length === 0) return;
  await db.query(
    `WITH r AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
         id int8, state text, attempted boolean, ok boolean, retryable boolean, "atMs" int8, "durationMs" int4,
         "nextAttemptMs" int8, error text, status int4, endpoint text, receipt jsonb, "deliveredAtMs" int8)
     ), upd AS (
       UPDATE outbox o SET
         state = r.state,
         attempts = o.attempts + CASE WHEN r.attempted THEN 1 ELSE 0 END,
         next_attempt_ms = coalesce(r."nextAttemptMs", o.next_attempt_ms),
         locked_until_ms = NULL,
         locked_by = NULL,
         last_error = r.error,
         last_status = CASE WHEN r.attempted THEN r.status ELSE o.last_status END,
         receipt = coalesce(r.receipt, o.receipt),
         delivered_at_ms = r."deliveredAtMs"
       FROM r WHERE o.id = r.id AND o.locked_by = $2
       RETURNING o.id
     )
     INSERT INTO outbox_attempts (message_id, at_ms, ok, retryable, status, error, duration_ms, endpoint)
     SELECT r.id, r."atMs", r.ok, r.retryable, r.status, r.error, r."durationMs", r.endpoint FROM r WHERE r.attempted`,
    [JSON.stringify(results), owner],
  );
}

/** Messages of `channel` backing off after a failed attempt become due at `nowMs`; how many. */
export async function expediteChannel(db: Queryable, channel: string, nowMs: number): Promise<number> {
  const r = await db.query(
    `UPDATE outbox SET next_attempt_ms = $2
     WHERE state = 'pending' AND channel = $1 AND attempts > 0 AND next_attempt_ms > $2`,
    [channel, nowMs],
  );
  return r.rowCount;
}

/** Gives back claimed messages that were never started (the worker is stopping). */
export async function releaseClaims(db: Queryable, owner: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query('UPDATE outbox SET locked_until_ms = NULL, locked_by = NULL WHERE id = ANY($1::int8[]) AND locked_by = $2', [ids, owner]);
}

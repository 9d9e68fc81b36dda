import type { Queryable } from '../storage/db.js';
import type { DeliveryState } from './types.js';
import { toMessage, type MessageRow } from './store.js';
import type { Delivery, DeliveryAttempt, DeliveryWithAttempts } from './schema.js';

/** The read and re-send side of the outbox, for the deliveries API and the case / warning file. */

interface OutboxRow extends MessageRow {
  not_before_ms: unknown;
  next_attempt_ms: unknown;
  last_error: string | null;
  last_status: number | null;
  receipt: Record<string, unknown> | null;
  delivered_at_ms: unknown;
}

const columns = `id, channel, idem_key, state, attempts, order_key, subject_type, subject_id, payload, created_at_ms,
  not_before_ms, next_attempt_ms, give_up_at_ms, last_error, last_status, receipt, delivered_at_ms`;

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

function toDelivery(r: OutboxRow): Delivery {
  const { createdAtMs, ...m } = toMessage(r);
  return {
    ...m,
    createdAt: iso(createdAtMs),
    notBefore: iso(r.not_before_ms),
    nextAttemptAt: iso(r.next_attempt_ms),
    giveUpAt: iso(r.give_up_at_ms),
    lastError: r.last_error,
    lastStatus: r.last_status,
    receipt: r.receipt,
    deliveredAt: r.delivered_at_ms !== null ? iso(r.delivered_at_ms) : null,
  };
}

export interface MessageQuery {
  state?: DeliveryState;
  channel?: string;
  /** Without `id`: every message about that type of subject. */
  subject?: { type: string; id?: string };
  limit: number;
  /** Cursor: messages older than this id (the list is newest first). */
  after?: string;
}

/** Messages newest first, filtered; page with `after` = the last id of the previous page. */
export async function listMessages(db: Queryable, q: MessageQuery): Promise<Delivery[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.state !== undefined) add('state = ?', q.state);
  if (q.channel !== undefined) add('channel = ?', q.channel);
  if (q.subject !== undefined) {
    add('subject_type = ?', q.subject.type);
    if (q.subject.id !== undefined) add('subject_id = ?', q.subject.id);
  }
  if (q.after !== undefined) add('id < ?::int8', q.after);
  params.push(q.limit);
  const r = await db.query<OutboxRow>(
    `SELECT ${columns} FROM outbox ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toDelivery);
}

/** One message with its attempt log, or null. */
export async function getMessage(db: Queryable, id: string): Promise<DeliveryWithAttempts | null> {
  if (!/^[0-9]{1,18}$/.test(id)) return null;
  const r = await db.query<OutboxRow>(`SELECT ${columns} FROM outbox WHERE id = $1::int8`, [id]);
  const row = r.rows[0];
  if (!row) return null;
  const a = await db.query<{ at_ms: unknown; ok: boolean; retryable: boolean; status: number | null; error: string | null; duration_ms: number; endpoint: string | null }>(
    'SELECT at_ms, ok, retryable, status, error, duration_ms, endpoint FROM outbox_attempts WHERE message_id = $1::int8 ORDER BY id',
    [id],
  );
  const attemptLog: DeliveryAttempt[] = a.rows.map((x) => ({ at: iso(x.at_ms), ok: x.ok, retryable: x.retryable, status: x.status, error: x.error, durationMs: Number(x.duration_ms), endpoint: x.endpoint }));
  return { ...toDelivery(row), attemptLog };
}

export type RetryOutcome = { outcome: 'queued'; delivery: Delivery } | { outcome: 'not_found' } | { outcome: 'delivered' };

/**
 * Sends a message again now, with a fresh maximum age from now: a failed or given-up one goes
 * back to pending with its attempt count at 0; a pending one is made due at once (its lease, if
 * a worker holds it, stands). A delivered message is not sent twice.
 */
export async function retryMessage(db: Queryable, id: string, nowMs: number): Promise<RetryOutcome> {
  if (!/^[0-9]{1,18}$/.test(id)) return { outcome: 'not_found' };
  const r = await db.query<OutboxRow>(
    `UPDATE outbox SET
       next_attempt_ms = $2,
       attempts = CASE WHEN state = 'pending' THEN attempts ELSE 0 END,
       give_up_at_ms = GREATEST(give_up_at_ms, $2 + max_age_ms),
       locked_until_ms = CASE WHEN state = 'pending' THEN locked_until_ms ELSE NULL END,
       locked_by = CASE WHEN state = 'pending' THEN locked_by ELSE NULL END,
       state = 'pending'
     WHERE id = $1::int8 AND state <> 'delivered'
     RETURNING ${columns}`,
    [id, nowMs],
  );
  const row = r.rows[0];
  if (row) return { outcome: 'queued', delivery: toDelivery(row) };
  const exists = await db.query('SELECT 1 FROM outbox WHERE id = $1::int8', [id]);
  return exists.rows.length > 0 ? { outcome: 'delivered' } : { outcome: 'not_found' };
}

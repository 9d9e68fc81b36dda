import { chinaTime } from '../events/store.js';
import type { Queryable } from '../storage/db.js';
import type { Subscription, SubscriptionFilter } from './schema.js';

/** SQL for the `subscriptions` table (migration 013). Times are the gateway clock's epoch ms. */

interface Row {
  id: string;
  owner: string;
  owner_name: string;
  url: string;
  filter: SubscriptionFilter;
  description: string;
  enabled: boolean;
  from_event_id: string;
  created_at_ms: string;
  updated_at_ms: string;
  secret_set_at_ms: string;
  disabled_at_ms: string | null;
}

// Never the secret: it is read only by deliveryTarget.
const columns = 'id::text, owner, owner_name, url, filter, description, enabled, from_event_id::text, created_at_ms, updated_at_ms, secret_set_at_ms, disabled_at_ms';

export interface StoredSubscription {
  view: Subscription;
  owner: string;
}

function toStored(r: Row): StoredSubscription {
  return {
    owner: r.owner,
    view: {
      id: r.id,
      url: r.url,
      filter: r.filter,
      description: r.description,
      enabled: r.enabled,
      owner: { id: r.owner, name: r.owner_name },
      fromEventId: r.from_event_id,
      createdAt: chinaTime(Number(r.created_at_ms)),
      updatedAt: chinaTime(Number(r.updated_at_ms)),
      secretSetAt: chinaTime(Number(r.secret_set_at_ms)),
      disabledAt: r.disabled_at_ms === null ? null : chinaTime(Number(r.disabled_at_ms)),
    },
  };
}

export interface NewSubscription {
  owner: string;
  ownerName: string;
  url: string;
  secret: string;
  filter: SubscriptionFilter;
  description: string;
}

/** Inserts it with `from_event_id` 0; the caller sets it to the id of the event that announces it. */
export async function insertSubscription(tx: Queryable, s: NewSubscription, nowMs: number): Promise<StoredSubscription> {
  const r = await tx.query<Row>(
    `INSERT INTO subscriptions (owner, owner_name, url, secret, filter, description, enabled, from_event_id, created_at_ms, updated_at_ms, secret_set_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6, true, 0, $7, $7, $7) RETURNING ${columns}`,
    [s.owner, s.ownerName, s.url, s.secret, JSON.stringify(s.filter), s.description, nowMs],
  );
  return toStored(one(r.rows));
}

export async function getSubscription(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<StoredSubscription | undefined> {
  if (!/^[0-9]{1,18}$/.test(id)) return undefined;
  const r = await q.query<Row>(`SELECT ${columns} FROM subscriptions WHERE id = $1::int8${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  const row = r.rows[0];
  return row ? toStored(row) : undefined;
}

export async function listSubscriptions(q: Queryable, o: { owner?: string; enabled?: boolean; after?: string; limit: number }): Promise<Subscription[]> {
  const r = await q.query<Row>(
    `SELECT ${columns} FROM subscriptions
     WHERE ($1::text IS NULL OR owner = $1) AND ($2::boolean IS NULL OR enabled = $2) AND ($3::int8 IS NULL OR id > $3::int8)
     ORDER BY id LIMIT $4`,
    [o.owner ?? null, o.enabled ?? null, o.after ?? null, o.limit],
  );
  return r.rows.map((row) => toStored(row).view);
}

export interface SubscriptionChange {
  url?: string;
  secret?: string;
  filter?: SubscriptionFilter;
  description?: string;
  enabled?: boolean;
  fromEventId?: string;
}

/** Applies the given fields; a new secret moves secret_set_at, disabling sets disabled_at (enabling clears it). */
export async function updateSubscription(tx: Queryable, id: string, c: SubscriptionChange, nowMs: number): Promise<StoredSubscription> {
  const sets = ['updated_at_ms = $2'];
  const params: unknown[] = [id, nowMs];
  const set = (sql: string, v: unknown) => {
    params.push(v);
    sets.push(`${sql} = $${params.length}`);
  };
  if (c.url !== undefined) set('url', c.url);
  if (c.secret !== undefined) {
    set('secret', c.secret);
    sets.push('secret_set_at_ms = $2');
  }
  if (c.filter !== undefined) set('filter', JSON.stringify(c.filter));
  if (c.description !== undefined) set('description', c.description);
  if (c.fromEventId !== undefined) set('from_event_id', c.fromEventId);
  if (c.enabled !== undefined) {
    set('enabled', c.enabled);
    sets.push(c.enabled ? 'disabled_at_ms = NULL' : 'disabled_at_ms = coalesce(disabled_at_ms, $2)');
  }
  const r = await tx.query<Row>(`UPDATE subscriptions SET ${sets.join(', ')} WHERE id = $1::int8 RETURNING ${columns}`, params);
  return toStored(one(r.rows));
}

/** What the matcher needs of every enabled subscription. */
export interface ActiveSubscription {
  id: string;
  filter: SubscriptionFilter;
  fromEventId: number;
}

export async function activeSubscriptions(q: Queryable): Promise<ActiveSubscription[]> {
  const r = await q.query<{ id: string; filter: SubscriptionFilter; from_event_id: string }>('SELECT id::text, filter, from_event_id::text FROM subscriptions WHERE enabled ORDER BY id');
  return r.rows.map((x) => ({ id: x.id, filter: x.filter, fromEventId: Number(x.from_event_id) }));
}

/** Where and how a delivery goes, read at delivery time (a rotated secret or a new URL applies at once). */
export async function deliveryTarget(q: Queryable, id: string): Promise<{ url: string; secret: string; enabled: boolean } | undefined> {
  if (!/^[0-9]{1,18}$/.test(id)) return undefined;
  const r = await q.query<{ url: string; secret: string; enabled: boolean }>('SELECT url, secret, enabled FROM subscriptions WHERE id = $1::int8', [id]);
  return r.rows[0];
}

function one(rows: Row[]): Row {
  const row = rows[0];
  if (!row) throw new Error('subscriptions: the statement returned no row');
  return row;
}

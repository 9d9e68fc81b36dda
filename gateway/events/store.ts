import type { Queryable } from '../storage/db.js';
import type { NewEvent, PlatformEvent } from './types.js';
import { likePatterns, type TypeFilter } from './type-filter.js';

/** SQL for the `events` table (migration 005). Ids are int8 in the database, numbers here (safe below 2^53). */

interface EventRow {
  id: string;
  type: string;
  subject_type: string;
  subject_id: string;
  block_code: string | null;
  grade: string | null;
  exercise: boolean;
  at_ms: string;
  data: Record<string, unknown>;
}

const columns = 'id, type, subject_type, subject_id, block_code, grade, exercise, at_ms, data';

/** Inserts one event; the id is drawn by the table's trigger (see the migration for why). */
export async function insertEvent(tx: Queryable, e: NewEvent, atMs: number): Promise<PlatformEvent> {
  const { rows } = await tx.query<EventRow>(
    `INSERT INTO events (type, subject_type, subject_id, block_code, grade, exercise, at_ms, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${columns}`,
    [e.type, e.subject.type, e.subject.id, e.blockCode ?? null, e.grade ?? null, e.exercise ?? false, atMs, JSON.stringify(e.data)],
  );
  const row = rows[0];
  if (!row) throw new Error('INSERT INTO events returned no row');
  return toEvent(row);
}

export interface RangeQuery {
  /** Exclusive lower bound. */
  after: number;
  /** Exclusive upper bound. */
  below: number;
  filter: TypeFilter | undefined;
  limit: number;
}

export async function selectEvents(db: Queryable, q: RangeQuery): Promise<PlatformEvent[]> {
  const params: unknown[] = [q.after, Math.min(q.below, Number.MAX_SAFE_INTEGER), q.limit];
  let typeClause = '';
  if (q.filter) {
    params.push(q.filter.exact, likePatterns(q.filter));
    typeClause = 'AND (type = ANY($4::text[]) OR type LIKE ANY($5::text[]))';
  }
  const { rows } = await db.query<EventRow>(`SELECT ${columns} FROM events WHERE id > $1 AND id < $2 ${typeClause} ORDER BY id LIMIT $3`, params);
  return rows.map(toEvent);
}

/** The highest id at or below which no event can still commit, in any process (migration 005). */
export async function settledId(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ id: string | null }>('SELECT events_settled_id() AS id');
  return Number(rows[0]?.id ?? 0);
}

export async function selectByIds(db: Queryable, ids: readonly number[]): Promise<PlatformEvent[]> {
  const { rows } = await db.query<EventRow>(`SELECT ${columns} FROM events WHERE id = ANY($1::int8[]) ORDER BY id`, [ids]);
  return rows.map(toEvent);
}

function toEvent(r: EventRow): PlatformEvent {
  const atMs = Number(r.at_ms);
  return {
    id: String(r.id),
    type: r.type,
    subject: { type: r.subject_type, id: r.subject_id },
    blockCode: r.block_code,
    grade: (r.grade ?? null) as PlatformEvent['grade'],
    exercise: r.exercise,
    data: r.data,
    at: chinaTime(atMs),
    atMs,
  };
}

/** ISO 8601 in China Standard Time (UTC+8, no daylight saving), e.g. `2026-01-01T08:00:00.000+08:00`. */
export function chinaTime(ms: number): string {
  return new Date(ms + 8 * 3600 * 1000).toISOString().replace('Z', '+08:00');
}

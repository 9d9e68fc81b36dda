import type { Queryable } from '../storage/db.js';
import { GatewayError, type ErrorDetail } from '../core/errors.js';
import { matchLength } from './match.js';
import type { Shift, ShiftInput, ShiftPeople } from './schema.js';

/** The duty roster (值班表): shifts, who is on post by role, and who is on duty for a block. */

interface ShiftRow {
  id: number | string;
  starts_at: Date | string;
  ends_at: Date | string;
  blocks: string[];
  kinds: string[];
  people: ShiftPeople;
  note: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

const iso = (v: Date | string) => new Date(v).toISOString();

function toShift(r: ShiftRow): Shift {
  return {
    id: String(r.id), startsAt: iso(r.starts_at), endsAt: iso(r.ends_at), blocks: r.blocks, kinds: r.kinds, people: r.people,
    ...(r.note !== null ? { note: r.note } : {}),
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}

/**
 * What the schema cannot say. Two duty officers on post and a leader on duty (seed 000 §1:
 * 领导带班、值班长及专职值班员双人在岗); a person once per role. Throws GW_ERR_VALIDATION naming each problem.
 */
export function checkShift(s: ShiftInput): void {
  const problems: ErrorDetail[] = [];
  if (Date.parse(s.endsAt) <= Date.parse(s.startsAt)) problems.push({ field: '/endsAt', message: 'must be after startsAt' });
  const officers = s.people.duty_officer.length;
  if (new Set(s.people.duty_officer.map((p) => p.id)).size < 2) {
    problems.push({ field: '/people/duty_officer', message: `a shift needs two different duty officers on post (双人在岗); it has ${officers === 1 ? 'one' : officers === 0 ? 'none' : 'the same person twice'}` });
  }
  if (s.people.leader_on_duty.length === 0) problems.push({ field: '/people/leader_on_duty', message: 'a shift needs a leader on duty (带班领导)' });
  for (const role of ['leader_on_duty', 'head'] as const) {
    const ids = s.people[role].map((p) => p.id);
    if (new Set(ids).size !== ids.length) problems.push({ field: `/people/${role}`, message: 'lists the same person twice' });
  }
  const first = problems[0];
  if (first) throw new GatewayError('GW_ERR_VALIDATION', `shift is invalid at ${first.field}: ${first.message}`, problems);
}

export async function createShift(tx: Queryable, s: ShiftInput, nowMs: number): Promise<Shift> {
  checkShift(s);
  const at = new Date(nowMs).toISOString();
  const r = await tx.query<ShiftRow>(
    `INSERT INTO duty_shifts (starts_at, ends_at, blocks, kinds, people, note, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *`,
    [s.startsAt, s.endsAt, s.blocks, s.kinds, JSON.stringify(s.people), s.note ?? null, at],
  );
  return toShift(r.rows[0] as ShiftRow);
}

export async function replaceShift(tx: Queryable, id: string, s: ShiftInput, nowMs: number): Promise<{ before: Shift; after: Shift }> {
  checkShift(s);
  const before = await getShift(tx, id, true);
  if (!before) throw notFound(id);
  const r = await tx.query<ShiftRow>(
    `UPDATE duty_shifts SET starts_at = $2, ends_at = $3, blocks = $4, kinds = $5, people = $6, note = $7, updated_at = $8 WHERE id = $1 RETURNING *`,
    [id, s.startsAt, s.endsAt, s.blocks, s.kinds, JSON.stringify(s.people), s.note ?? null, new Date(nowMs).toISOString()],
  );
  return { before, after: toShift(r.rows[0] as ShiftRow) };
}

export async function deleteShift(tx: Queryable, id: string): Promise<Shift> {
  if (!/^[0-9]{1,18}$/.test(id)) throw notFound(id);
  const r = await tx.query<ShiftRow>('DELETE FROM duty_shifts WHERE id = $1 RETURNING *', [id]);
  const row = r.rows[0];
  if (!row) throw notFound(id);
  return toShift(row);
}

export async function getShift(q: Queryable, id: string, forUpdate = false): Promise<Shift | null> {
  if (!/^[0-9]{1,18}$/.test(id)) return null;
  const r = await q.query<ShiftRow>(`SELECT * FROM duty_shifts WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  const row = r.rows[0];
  return row ? toShift(row) : null;
}

/** Shifts overlapping `[fromMs, toMs)`, by start. */
export async function listShifts(q: Queryable, fromMs: number, toMs: number, limit: number): Promise<Shift[]> {
  const r = await q.query<ShiftRow>(
    'SELECT * FROM duty_shifts WHERE starts_at < $2 AND ends_at > $1 ORDER BY starts_at, id LIMIT $3',
    [new Date(fromMs).toISOString(), new Date(toMs).toISOString(), limit],
  );
  return r.rows.map(toShift);
}

export interface OnDuty {
  shift: Shift;
  /** The block prefix that matched; '' for a shift covering every block (the default shift). */
  matchedPrefix: string;
}

/**
 * The shift on post for a block and device kind at an instant: among shifts covering the time
 * and the kind, the one with the longest matching block prefix; then one naming the kind over
 * one covering all kinds; then the latest to start. A shift with no blocks is the default.
 */
export async function whoIsOnDuty(q: Queryable, blockCode: string, kind: string | null, atMs: number): Promise<OnDuty | null> {
  const at = new Date(atMs).toISOString();
  const r = await q.query<ShiftRow>(
    `SELECT * FROM duty_shifts
      WHERE starts_at <= $1 AND ends_at > $1
        AND (cardinality(kinds) = 0 OR $2::text = ANY (kinds))
        AND (cardinality(blocks) = 0 OR EXISTS (SELECT 1 FROM unnest(blocks) AS b WHERE starts_with($3::text, b)))`,
    [at, kind, blockCode],
  );
  let best: { row: ShiftRow; len: number } | null = null;
  for (const row of r.rows) {
    const len = matchLength(row.blocks, blockCode);
    if (len < 0) continue;
    if (!best || better(row, len, best.row, best.len)) best = { row, len };
  }
  if (!best) return null;
  return { shift: toShift(best.row), matchedPrefix: blockCode.slice(0, best.len) };
}

function better(a: ShiftRow, aLen: number, b: ShiftRow, bLen: number): boolean {
  if (aLen !== bLen) return aLen > bLen;
  const aKinds = a.kinds.length > 0 ? 1 : 0;
  const bKinds = b.kinds.length > 0 ? 1 : 0;
  if (aKinds !== bKinds) return aKinds > bKinds;
  const aStart = new Date(a.starts_at).getTime();
  const bStart = new Date(b.starts_at).getTime();
  if (aStart !== bStart) return aStart > bStart;
  return Number(a.id) > Number(b.id);
}

function notFound(id: string): GatewayError {
  return new GatewayError('GW_ERR_NOT_FOUND', `shift "${id}" does not exist`);
}

import type { Queryable } from '../storage/db.js';
import { chinaTime } from '../events/store.js';
import type { Grade } from '../../rules/schema.js';
import type { ActorType, CaseActor, CaseLocation, CaseQuery, CaseSource, CaseStatus, CaseView } from './types.js';
import { timeColumns } from './lifecycle.js';

/** SQL for `cases` and `case_transitions` (migration 011). */

export interface CaseRow {
  id: number;
  source: CaseSource;
  source_name: string;
  external_id: string | null;
  warning_id: number | null;
  district_case_no: string | null;
  category: string;
  kind: string | null;
  grade: Grade | null;
  title: string;
  description: string;
  block_code: string;
  location: CaseLocation;
  status: CaseStatus;
  resume_status: CaseStatus | null;
  unit_id: string | null;
  unit_tier: 1 | 2 | 3 | null;
  exercise: boolean;
  incident_at_ms: number;
  created_at_ms: number;
  updated_at_ms: number;
  reported_at_ms: number | null;
  dispatched_at_ms: number | null;
  signed_at_ms: number | null;
  arrived_at_ms: number | null;
  handled_at_ms: number | null;
  verified_at_ms: number | null;
  closed_at_ms: number | null;
  created_by: string;
  data: Record<string, unknown>;
}

/** A new case: status times, unit and district number come later. */
export type NewCaseRow = Omit<CaseRow, 'id' | 'resume_status' | 'unit_id' | 'unit_tier' | 'district_case_no' | (typeof timeColumns)[keyof typeof timeColumns]>;
export type CasePatch = Partial<Omit<CaseRow, 'id' | 'source' | 'source_name' | 'external_id' | 'warning_id' | 'created_at_ms' | 'created_by'>>;

const int8 = (v: unknown): number => Number(v);
const timeOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : chinaTime(int8(v)));

export function toView(r: CaseRow): CaseView {
  const times = Object.fromEntries(Object.entries(timeColumns).map(([s, col]) => [s, timeOrNull(r[col])])) as CaseView['times'];
  return {
    id: String(r.id),
    source: r.source,
    sourceName: r.source_name,
    externalId: r.external_id,
    warningId: r.warning_id === null ? null : String(r.warning_id),
    districtCaseNo: r.district_case_no,
    category: r.category,
    kind: r.kind,
    grade: r.grade,
    title: r.title,
    description: r.description,
    blockCode: r.block_code,
    location: r.location,
    status: r.status,
    unit: r.unit_id !== null && r.unit_tier !== null ? { id: r.unit_id, tier: Number(r.unit_tier) as 1 | 2 | 3 } : null,
    exercise: r.exercise,
    incidentAt: chinaTime(int8(r.incident_at_ms)),
    createdAt: chinaTime(int8(r.created_at_ms)),
    updatedAt: chinaTime(int8(r.updated_at_ms)),
    times,
    createdBy: r.created_by,
  };
}

/** A decimal id that fits int8; anything else names no case. */
export function isCaseId(id: string): boolean {
  return /^[0-9]{1,18}$/.test(id);
}

/** Inserts a case; undefined when its warning or its (source, external id) already has one. */
export async function insertCase(q: Queryable, c: NewCaseRow): Promise<CaseRow | undefined> {
  const cols = Object.keys(c) as Array<keyof NewCaseRow>;
  const r = await q.query<CaseRow>(
    `INSERT INTO cases (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) ON CONFLICT DO NOTHING RETURNING *`,
    cols.map((col) => (col === 'data' || col === 'location' ? JSON.stringify(c[col]) : c[col])),
  );
  return r.rows[0];
}

export async function getCase(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<CaseRow | undefined> {
  if (!isCaseId(id)) return undefined;
  const r = await q.query<CaseRow>(`SELECT * FROM cases WHERE id = $1::int8${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0];
}

export async function caseOfExternal(q: Queryable, sourceName: string, externalId: string): Promise<CaseRow | undefined> {
  const r = await q.query<CaseRow>('SELECT * FROM cases WHERE source_name = $1 AND external_id = $2', [sourceName, externalId]);
  return r.rows[0];
}

export async function updateCase(q: Queryable, id: number, patch: CasePatch): Promise<CaseRow> {
  const cols = Object.keys(patch) as Array<keyof CasePatch>;
  const r = await q.query<CaseRow>(
    `UPDATE cases SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
    [id, ...cols.map((c) => (c === 'data' || c === 'location' ? JSON.stringify(patch[c]) : patch[c]))],
  );
  const row = r.rows[0];
  if (!row) throw new Error(`case ${id} vanished inside its transaction`);
  return row;
}

export interface NewTransition {
  caseId: number;
  from: CaseStatus | null;
  to: CaseStatus;
  atMs: number;
  recordedAtMs: number;
  actor: CaseActor;
  note: string | null;
  data: Record<string, unknown>;
}

export async function addTransition(q: Queryable, t: NewTransition): Promise<void> {
  await q.query(
    `INSERT INTO case_transitions (case_id, from_status, to_status, at_ms, recorded_at_ms, actor, actor_type, note, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [t.caseId, t.from, t.to, t.atMs, t.recordedAtMs, t.actor.id, t.actor.type, t.note, JSON.stringify(t.data)],
  );
}

export interface TransitionRecord {
  id: string;
  from: CaseStatus | null;
  to: CaseStatus;
  /** The step taken: the status reached, or `resumed`; `opened` for the first row. */
  step: string;
  at: string;
  atMs: number;
  recordedAt: string;
  actor: CaseActor;
  note: string | null;
  data: Record<string, unknown>;
}

interface TransitionRow {
  id: number;
  from_status: CaseStatus | null;
  to_status: CaseStatus;
  at_ms: number;
  recorded_at_ms: number;
  actor: string;
  actor_type: ActorType;
  note: string | null;
  data: Record<string, unknown>;
}

/** A case's transitions, oldest first (the first one is its opening). */
export async function transitions(q: Queryable, caseId: string): Promise<TransitionRecord[]> {
  const r = await q.query<TransitionRow>('SELECT * FROM case_transitions WHERE case_id = $1::int8 ORDER BY id', [caseId]);
  return r.rows.map((t) => {
    const step = typeof t.data['step'] === 'string' ? t.data['step'] : t.from_status === null ? 'opened' : t.to_status;
    return {
      id: String(t.id), from: t.from_status, to: t.to_status, step, at: chinaTime(int8(t.at_ms)), atMs: int8(t.at_ms),
      recordedAt: chinaTime(int8(t.recorded_at_ms)), actor: { type: t.actor_type, id: t.actor }, note: t.note, data: t.data,
    };
  });
}

/** Newest first; `after` is the last id of the previous page. `fromMs` / `toMs` bound the creation time. */
export async function listCases(q: Queryable, f: CaseQuery & { limit: number }): Promise<CaseRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.status !== undefined && f.status.length > 0) add('status = ANY(?::text[])', f.status);
  if (f.source !== undefined) add('source = ?', f.source);
  if (f.blockPrefix !== undefined) add("block_code LIKE ? || '%'", f.blockPrefix.replace(/[-%_\\]/g, ''));
  if (f.unitId !== undefined) add('unit_id = ?', f.unitId);
  if (f.fromMs !== undefined) add('created_at_ms >= ?', f.fromMs);
  if (f.toMs !== undefined) add('created_at_ms < ?', f.toMs);
  if (f.after !== undefined) add('id < ?::int8', f.after);
  params.push(f.limit);
  const r = await q.query<CaseRow>(`SELECT * FROM cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`, params);
  return r.rows;
}

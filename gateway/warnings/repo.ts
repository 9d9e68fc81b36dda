import type { Queryable } from '../storage/db.js';
import { gradeOf, type Grade, type GradeLevel } from '../../rules/schema.js';
import type { TimelineEntry, TimelineType, WarningQuery, WarningState, WarningView } from './schema.js';

/** SQL for `warnings` and `warning_timeline` (migration 008). */

export interface WarningRow {
  id: number;
  fingerprint: string;
  rule_id: string | null;
  rule_version: number | null;
  subject_type: string;
  subject_id: string;
  device_id: string | null;
  kind: string | null;
  block_code: string;
  category: string;
  grade: number;
  peak_grade: number;
  state: WarningState;
  raised_at_ms: number;
  recorded_at_ms: number;
  updated_at_ms: number;
  transition_at_ms: number;
  cleared_at_ms: number | null;
  acknowledged_at_ms: number | null;
  acknowledged_by: string | null;
  silenced: boolean;
  storm_id: number | null;
  exercise: boolean;
  metric: string | null;
  last_value: number | null;
  last_state: string | null;
  reason: string;
  case_requested_at_ms: number | null;
  picture_requested_at_ms: number | null;
  data: Record<string, unknown>;
}

export type NewWarning = Omit<WarningRow, 'id' | 'state' | 'cleared_at_ms' | 'acknowledged_at_ms' | 'acknowledged_by' | 'case_requested_at_ms' | 'picture_requested_at_ms' | 'storm_id'>;
export type WarningPatch = Partial<Omit<WarningRow, 'id' | 'fingerprint'>>;

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function gradeName(level: number): Grade {
  const g = gradeOf(level as GradeLevel);
  if (g === null) throw new Error(`grade level ${level} is not a warning grade`);
  return g;
}

export function toView(r: WarningRow): WarningView {
  return {
    id: String(r.id),
    fingerprint: r.fingerprint,
    ruleId: r.rule_id,
    ruleVersion: r.rule_version,
    subject: { type: r.subject_type, id: r.subject_id },
    deviceId: r.device_id,
    kind: r.kind,
    blockCode: r.block_code,
    category: r.category,
    grade: gradeName(r.grade),
    peakGrade: gradeName(r.peak_grade),
    state: r.state,
    raisedAt: iso(r.raised_at_ms),
    updatedAt: iso(r.updated_at_ms),
    clearedAt: isoOrNull(r.cleared_at_ms),
    acknowledgedAt: isoOrNull(r.acknowledged_at_ms),
    acknowledgedBy: r.acknowledged_by,
    silenced: r.silenced,
    stormId: r.storm_id === null ? null : String(r.storm_id),
    exercise: r.exercise,
    metric: r.metric,
    value: r.last_value,
    valueState: r.last_state,
    reason: r.reason,
    caseRequestedAt: isoOrNull(r.case_requested_at_ms),
    pictureRequestedAt: isoOrNull(r.picture_requested_at_ms),
    data: r.data,
  };
}

/** The newest warning of a fingerprint (open or not), locked for the caller's transaction. */
export async function latestByFingerprint(q: Queryable, fingerprint: string): Promise<WarningRow | undefined> {
  const r = await q.query<WarningRow>('SELECT * FROM warnings WHERE fingerprint = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE', [fingerprint]);
  return r.rows[0];
}

export async function getWarning(q: Queryable, id: string | number, opts: { forUpdate?: boolean } = {}): Promise<WarningRow | undefined> {
  const r = await q.query<WarningRow>(`SELECT * FROM warnings WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0];
}

export async function insertWarning(q: Queryable, w: NewWarning): Promise<WarningRow> {
  const cols = Object.keys(w) as Array<keyof NewWarning>;
  const r = await q.query<WarningRow>(
    `INSERT INTO warnings (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
    cols.map((c) => (c === 'data' ? JSON.stringify(w.data) : w[c])),
  );
  return r.rows[0] as WarningRow;
}

export async function updateWarning(q: Queryable, id: number, patch: WarningPatch): Promise<WarningRow> {
  const cols = Object.keys(patch) as Array<keyof WarningPatch>;
  const r = await q.query<WarningRow>(
    `UPDATE warnings SET ${cols.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
    [id, ...cols.map((c) => (c === 'data' ? JSON.stringify(patch.data) : patch[c]))],
  );
  const row = r.rows[0];
  if (!row) throw new Error(`warning ${id} vanished inside its transaction`);
  return row;
}

export interface NewTimelineEntry {
  type: TimelineType;
  atMs: number;
  fromGrade?: number | null;
  toGrade?: number | null;
  value?: number | null;
  state?: string | null;
  actor?: string | null;
  text?: string | null;
  data?: Record<string, unknown>;
}

export async function addTimeline(q: Queryable, warningId: number, e: NewTimelineEntry): Promise<void> {
  await q.query(
    `INSERT INTO warning_timeline (warning_id, at_ms, type, from_grade, to_grade, value, state, actor, text, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [warningId, e.atMs, e.type, e.fromGrade || null, e.toGrade || null, e.value ?? null, e.state ?? null, e.actor ?? null, e.text ?? null, JSON.stringify(e.data ?? {})],
  );
}

interface TimelineRow {
  at_ms: number;
  type: string;
  from_grade: number | null;
  to_grade: number | null;
  value: number | null;
  state: string | null;
  actor: string | null;
  text: string | null;
  data: Record<string, unknown>;
}

export async function timeline(q: Queryable, warningId: string | number): Promise<Array<TimelineEntry & { atMs: number }>> {
  const r = await q.query<TimelineRow>('SELECT * FROM warning_timeline WHERE warning_id = $1 ORDER BY id', [warningId]);
  return r.rows.map((e) => ({
    atMs: e.at_ms,
    at: iso(e.at_ms),
    source: 'warning' as const,
    type: e.type,
    fromGrade: e.from_grade === null ? null : gradeName(e.from_grade),
    toGrade: e.to_grade === null ? null : gradeName(e.to_grade),
    value: e.value,
    state: e.state,
    actor: e.actor,
    text: e.text,
    data: e.data,
  }));
}

/** Open warnings of a device, of one rule or of any. */
export async function openForDevice(q: Queryable, deviceId: string, ruleId: string | null): Promise<WarningRow[]> {
  const r = await q.query<WarningRow>(
    `SELECT * FROM warnings WHERE device_id = $1 AND state <> 'cleared' AND ($2::text IS NULL OR rule_id = $2) ORDER BY id`,
    [deviceId, ruleId],
  );
  return r.rows;
}

/** Newest first; `cursor` is the last id of the previous page. */
export async function listWarnings(q: Queryable, f: WarningQuery & { minLevel?: number; level?: number }): Promise<WarningRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.state === 'open') where.push(`state <> 'cleared'`);
  else if (f.state !== undefined) add('state = ?', f.state);
  if (f.level !== undefined) add('grade = ?', f.level);
  if (f.minLevel !== undefined) add('grade >= ?', f.minLevel);
  if (f.kind !== undefined) add('kind = ?', f.kind);
  if (f.block !== undefined) add("block_code LIKE ? || '%'", f.block.replace(/-/g, ''));
  if (f.rule !== undefined) add('rule_id = ?', f.rule);
  if (f.device !== undefined) add('device_id = ?', f.device);
  if (f.subject !== undefined) add('subject_type = ?', f.subject);
  if (f.from !== undefined) add('raised_at_ms >= ?', Date.parse(f.from));
  if (f.to !== undefined) add('raised_at_ms < ?', Date.parse(f.to));
  if (f.exercise !== undefined) add('exercise = ?', f.exercise);
  if (f.cursor !== undefined) add('id < ?', f.cursor);
  params.push(f.limit);
  const r = await q.query<WarningRow>(`SELECT * FROM warnings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`, params);
  return r.rows;
}

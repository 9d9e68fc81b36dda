import type { Queryable } from '../storage/db.js';
import type { NewEvent } from '../events/types.js';
import type { Emit } from '../warnings/types.js';
import type { Grade } from '../../rules/schema.js';
import type { CalloutRequest, CalloutStatus } from './types.js';
import type { ResolvedStep } from './plans.js';
import type { CalloutLogEntry, CalloutStatusBody, Person } from './schema.js';

/** Storage of callouts and their log (migration 009). Times are epoch ms in memory. */

export type CalloutState = CalloutStatus['state'];

/** A callout as stored: what the request said, the resolved steps, and where it stands. */
export interface Callout extends Pick<CalloutRequest, 'warningId' | 'fingerprint' | 'grade' | 'kind' | 'blockCode' | 'category' | 'summary' | 'exercise' | 'remindEveryMs'> {
  steps: ResolvedStep[];
  state: CalloutState;
  step: number;
  /** Who is being called at this step; null before anyone was found. */
  person: Person | null;
  /** Calls and reminders sent so far, over the callout's whole life: numbers the idempotency keys. */
  calls: number;
  deadlineAtMs: number;
  nextAtMs: number | null;
  acknowledgedBy: string | null;
  acknowledgedPerson: string | null;
  acknowledgedAtMs: number | null;
  closedReason: string | null;
}

interface Row {
  warning_id: string;
  fingerprint: string;
  grade: Grade;
  kind: string | null;
  block_code: string;
  category: string;
  summary: string;
  exercise: boolean;
  steps: ResolvedStep[];
  remind_every_ms: number;
  state: CalloutState;
  step: number;
  person: Person | null;
  calls: number;
  deadline_at: Date | string;
  next_at: Date | string | null;
  acknowledged_by: string | null;
  acknowledged_person: string | null;
  acknowledged_at: Date | string | null;
  closed_reason: string | null;
}

const ms = (v: Date | string) => new Date(v).getTime();
const msOrNull = (v: Date | string | null) => (v === null ? null : ms(v));
const ts = (v: number | null) => (v === null ? null : new Date(v).toISOString());

function fromRow(r: Row): Callout {
  return {
    warningId: r.warning_id, fingerprint: r.fingerprint, grade: r.grade, kind: r.kind, blockCode: r.block_code, category: r.category,
    summary: r.summary, exercise: r.exercise, steps: r.steps, remindEveryMs: r.remind_every_ms, state: r.state, step: r.step,
    person: r.person, calls: r.calls, deadlineAtMs: ms(r.deadline_at), nextAtMs: msOrNull(r.next_at),
    acknowledgedBy: r.acknowledged_by, acknowledgedPerson: r.acknowledged_person, acknowledgedAtMs: msOrNull(r.acknowledged_at), closedReason: r.closed_reason,
  };
}

const columns = [
  'fingerprint', 'grade', 'kind', 'block_code', 'category', 'summary', 'exercise', 'steps', 'remind_every_ms', 'state', 'step', 'person', 'calls',
  'deadline_at', 'next_at', 'acknowledged_by', 'acknowledged_person', 'acknowledged_at', 'closed_reason',
] as const;

function values(c: Callout): unknown[] {
  return [
    c.fingerprint, c.grade, c.kind, c.blockCode, c.category, c.summary, c.exercise, JSON.stringify(c.steps), c.remindEveryMs, c.state, c.step,
    c.person === null ? null : JSON.stringify(c.person), c.calls, ts(c.deadlineAtMs), ts(c.nextAtMs), c.acknowledgedBy, c.acknowledgedPerson,
    ts(c.acknowledgedAtMs), c.closedReason,
  ];
}

/** Inserts a new callout; false when the warning already has one (then lock and load it). */
export async function insertCallout(tx: Queryable, c: Callout, nowMs: number): Promise<boolean> {
  const params = [c.warningId, ...values(c), new Date(nowMs).toISOString()];
  const r = await tx.query(
    `INSERT INTO callouts (warning_id, ${columns.join(', ')}, created_at, updated_at)
     VALUES (${params.map((_, i) => `$${i + 1}`).join(', ')}, $${params.length}) ON CONFLICT (warning_id) DO NOTHING`,
    params,
  );
  return r.rowCount > 0;
}

export async function saveCallout(tx: Queryable, c: Callout, nowMs: number): Promise<void> {
  const sets = columns.map((col, i) => `${col} = $${i + 2}`).join(', ');
  await tx.query(`UPDATE callouts SET ${sets}, updated_at = $${columns.length + 2} WHERE warning_id = $1`, [c.warningId, ...values(c), new Date(nowMs).toISOString()]);
}

export async function loadCallout(q: Queryable, warningId: string, lock = false): Promise<Callout | null> {
  const r = await q.query<Row>(`SELECT * FROM callouts WHERE warning_id = $1${lock ? ' FOR UPDATE' : ''}`, [warningId]);
  const row = r.rows[0];
  return row ? fromRow(row) : null;
}

/** Open callouts due at `nowMs`, locked; rows another process holds are skipped, never waited for. */
export async function claimDue(tx: Queryable, nowMs: number, limit: number): Promise<Callout[]> {
  const r = await tx.query<Row>(
    `SELECT * FROM callouts WHERE state IN ('calling', 'exhausted') AND next_at <= $1
      ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [new Date(nowMs).toISOString(), limit],
  );
  return r.rows.map(fromRow);
}

export interface LogInput {
  type: string;
  role: string | null;
  person: Pick<Person, 'id'> & Partial<Pick<Person, 'name'>> | null;
  channel: string | null;
  detail: string;
  /** Event payload beyond the common fields; never names or phones (events reach the district). */
  data?: Record<string, unknown>;
}

/**
 * One callout_log row and its `callout.{type}` event: emitted now when the caller gave an
 * event transaction, else kept on the row for the next tick to emit.
 */
export async function writeLog(tx: Queryable, emit: Emit | undefined, c: Callout, e: LogInput, nowMs: number): Promise<void> {
  const event: NewEvent = {
    type: `callout.${e.type}`,
    subject: { type: 'warning', id: c.warningId },
    blockCode: c.blockCode,
    grade: c.grade,
    exercise: c.exercise,
    data: { warningId: c.warningId, category: c.category, state: c.state, step: c.step, role: e.role, personId: e.person?.id ?? null, channels: e.channel?.split(',') ?? [], detail: e.detail, ...e.data },
  };
  if (emit) await emit(event);
  await tx.query(
    `INSERT INTO callout_log (warning_id, at, type, step, role, person_id, person_name, channel, detail, pending_event)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [c.warningId, new Date(nowMs).toISOString(), e.type, c.step, e.role, e.person?.id ?? null, e.person?.name ?? null, e.channel, e.detail, emit ? null : JSON.stringify(event)],
  );
}

/** Emits events left on the log by writers without an event transaction; returns how many. */
export async function flushPendingEvents(tx: Queryable, emit: Emit, limit: number): Promise<number> {
  const r = await tx.query<{ id: number; pending_event: NewEvent }>(
    'SELECT id, pending_event FROM callout_log WHERE pending_event IS NOT NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
    [limit],
  );
  for (const row of r.rows) await emit(row.pending_event);
  if (r.rows.length > 0) await tx.query('UPDATE callout_log SET pending_event = NULL WHERE id = ANY ($1::bigint[])', [r.rows.map((x) => x.id)]);
  return r.rows.length;
}

export function toStatus(c: Callout): CalloutStatus {
  return {
    warningId: c.warningId, state: c.state, step: c.step, role: c.steps[c.step]?.role ?? 'duty_officer', deadlineMs: c.deadlineAtMs,
    acknowledgedBy: c.acknowledgedBy, acknowledgedAtMs: c.acknowledgedAtMs,
  };
}

export function toStatusBody(c: Callout): CalloutStatusBody {
  return {
    warningId: c.warningId, state: c.state, grade: c.grade, category: c.category, blockCode: c.blockCode, step: c.step,
    role: c.steps[c.step]?.role ?? 'duty_officer', steps: c.steps, person: c.person, deadline: new Date(c.deadlineAtMs).toISOString(),
    nextAt: ts(c.nextAtMs), calls: c.calls, acknowledgedBy: c.acknowledgedBy, acknowledgedPerson: c.acknowledgedPerson, acknowledgedAt: ts(c.acknowledgedAtMs),
  };
}

/** The call log of one warning, oldest first. */
export async function readLog(q: Queryable, warningId: string): Promise<CalloutLogEntry[]> {
  const r = await q.query<{ at: Date | string; type: string; step: number | null; role: string | null; person_id: string | null; person_name: string | null; channel: string | null; detail: string }>(
    'SELECT at, type, step, role, person_id, person_name, channel, detail FROM callout_log WHERE warning_id = $1 ORDER BY id',
    [warningId],
  );
  return r.rows.map((x) => ({ at: new Date(x.at).toISOString(), type: x.type, step: x.step, role: x.role, personId: x.person_id, personName: x.person_name, channel: x.channel, detail: x.detail }));
}

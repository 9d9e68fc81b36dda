import type { Queryable } from '../storage/db.js';
import { chinaTime } from '../events/store.js';
import type { SlaClockName, SlaClockView, SlaOutcome } from './schema.js';

/** SQL for `case_sla` (migrations 011 and 017). Times are epoch milliseconds. */

export interface ClockRow {
  caseId: string;
  clock: SlaClockName;
  seq: number;
  unitId: string | null;
  unitTier: 1 | 2 | 3 | null;
  startedAtMs: number;
  deadlineMs: number;
  durationMs: number | null;
  metAtMs: number | null;
  breachedAtMs: number | null;
  stoppedAtMs: number | null;
  pausedAtMs: number | null;
  remainingMs: number | null;
  outcome: SlaOutcome;
}

/**
 * How a clock ended or stands, the one definition the API and the reports share. A step
 * reported late but stamped before the deadline is on time; a clock stopped unmet after its
 * deadline is a miss whether or not the ticker got to it first.
 */
export function outcomeSql(t = 'case_sla'): string {
  return `CASE
    WHEN ${t}.met_at_ms IS NOT NULL THEN CASE WHEN ${t}.met_at_ms <= ${t}.deadline_ms THEN 'met' ELSE 'late' END
    WHEN ${t}.stopped_at_ms IS NOT NULL THEN CASE WHEN ${t}.stopped_at_ms > ${t}.deadline_ms THEN 'missed' ELSE 'stopped' END
    WHEN ${t}.breached_at_ms IS NOT NULL THEN 'missed'
    WHEN ${t}.paused_at_ms IS NOT NULL THEN 'paused'
    ELSE 'open' END`;
}

/** The columns of a ClockRow, read through table alias `t` (int8 as float8: exact below 2^53). */
function columns(t: string): string {
  return `${t}.case_id::text AS "caseId", ${t}.clock, ${t}.seq, ${t}.unit_id AS "unitId", ${t}.unit_tier AS "unitTier",
  ${t}.started_at_ms::float8 AS "startedAtMs", ${t}.deadline_ms::float8 AS "deadlineMs", ${t}.duration_ms::float8 AS "durationMs",
  ${t}.met_at_ms::float8 AS "metAtMs", ${t}.breached_at_ms::float8 AS "breachedAtMs", ${t}.stopped_at_ms::float8 AS "stoppedAtMs",
  ${t}.paused_at_ms::float8 AS "pausedAtMs", ${t}.remaining_ms::float8 AS "remainingMs", ${outcomeSql(t)} AS outcome`;
}
const returning = `RETURNING ${columns('case_sla')}`;
const selectCols = `SELECT ${columns('case_sla')}`;

export interface NewClock {
  caseId: string;
  clock: SlaClockName;
  seq: number;
  unit: { id: string; tier: 1 | 2 | 3 } | null;
  startedAtMs: number;
  deadlineMs: number;
  durationMs: number;
}

/** Starts a clock; idempotent (a hook run twice for one change starts it once). */
export async function insertClock(tx: Queryable, c: NewClock): Promise<ClockRow | undefined> {
  const r = await tx.query<ClockRow>(
    `INSERT INTO case_sla (case_id, clock, seq, unit_id, unit_tier, started_at_ms, deadline_ms, duration_ms)
     VALUES ($1::int8, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING ${returning}`,
    [c.caseId, c.clock, c.seq, c.unit?.id ?? null, c.unit?.tier ?? null, c.startedAtMs, c.deadlineMs, c.durationMs],
  );
  return r.rows[0];
}

/** The next dispatch number of a case (1 for the first). */
export async function nextSeq(tx: Queryable, caseId: string): Promise<number> {
  const r = await tx.query<{ seq: number | null }>(`SELECT max(seq) AS seq FROM case_sla WHERE case_id = $1::int8 AND clock = 'sign'`, [caseId]);
  return (r.rows[0]?.seq ?? 0) + 1;
}

const unfinished = 'met_at_ms IS NULL AND stopped_at_ms IS NULL';

/** Meets the case's unfinished clocks of these kinds at `atMs`; returns them as they were met. */
export async function meetClocks(tx: Queryable, caseId: string, clocks: readonly SlaClockName[], atMs: number): Promise<ClockRow[]> {
  const r = await tx.query<ClockRow>(
    `UPDATE case_sla SET met_at_ms = $3, paused_at_ms = NULL, remaining_ms = NULL
     WHERE case_id = $1::int8 AND clock = ANY($2::text[]) AND ${unfinished} ${returning}`,
    [caseId, clocks, atMs],
  );
  return r.rows;
}

/** Stops the case's unfinished clocks of these kinds (re-dispatch, 退单, closed). */
export async function stopClocks(tx: Queryable, caseId: string, clocks: readonly SlaClockName[], atMs: number): Promise<ClockRow[]> {
  const r = await tx.query<ClockRow>(
    `UPDATE case_sla SET stopped_at_ms = $3 WHERE case_id = $1::int8 AND clock = ANY($2::text[]) AND ${unfinished} ${returning}`,
    [caseId, clocks, atMs],
  );
  return r.rows;
}

/**
 * Pauses the case's running clocks of these kinds, keeping the allowed time left (duty time
 * for a unit: `dutyLeft`). A clock already past its deadline is not paused: its miss stands.
 */
export async function pauseClocks(tx: Queryable, caseId: string, clocks: readonly SlaClockName[], atMs: number, dutyLeft: (c: ClockRow) => Promise<number>): Promise<ClockRow[]> {
  const r = await tx.query<ClockRow>(
    `${selectCols} FROM case_sla WHERE case_id = $1::int8 AND clock = ANY($2::text[]) AND ${unfinished}
       AND breached_at_ms IS NULL AND paused_at_ms IS NULL AND deadline_ms >= $3 FOR UPDATE`,
    [caseId, clocks, atMs],
  );
  const paused: ClockRow[] = [];
  for (const c of r.rows) {
    const left = Math.max(0, await dutyLeft(c));
    await tx.query('UPDATE case_sla SET paused_at_ms = $4, remaining_ms = $5 WHERE case_id = $1::int8 AND clock = $2 AND seq = $3', [caseId, c.clock, c.seq, atMs, left]);
    paused.push({ ...c, pausedAtMs: atMs, remainingMs: left, outcome: 'paused' });
  }
  return paused;
}

/** The case's paused clocks, locked: `resumeClock` sets each one's new deadline. */
export async function pausedClocks(tx: Queryable, caseId: string): Promise<ClockRow[]> {
  const r = await tx.query<ClockRow>(`${selectCols} FROM case_sla WHERE case_id = $1::int8 AND paused_at_ms IS NOT NULL AND ${unfinished} FOR UPDATE`, [caseId]);
  return r.rows;
}

export async function resumeClock(tx: Queryable, c: ClockRow, deadlineMs: number): Promise<void> {
  await tx.query('UPDATE case_sla SET paused_at_ms = NULL, remaining_ms = NULL, deadline_ms = $4 WHERE case_id = $1::int8 AND clock = $2 AND seq = $3', [c.caseId, c.clock, c.seq, deadlineMs]);
}

/**
 * Marks up to `limit` running clocks past their deadline as breached at the deadline, and
 * returns them. Rows are claimed with SKIP LOCKED and the update re-checks `breached_at_ms IS
 * NULL`, so two processes ticking together never both raise the same breach.
 */
export async function claimBreaches(tx: Queryable, nowMs: number, limit: number): Promise<ClockRow[]> {
  const r = await tx.query<ClockRow>(
    `UPDATE case_sla s SET breached_at_ms = s.deadline_ms
     FROM (SELECT case_id, clock, seq FROM case_sla
           WHERE met_at_ms IS NULL AND breached_at_ms IS NULL AND stopped_at_ms IS NULL AND paused_at_ms IS NULL AND deadline_ms < $1
           ORDER BY deadline_ms LIMIT $2 FOR UPDATE SKIP LOCKED) due
     WHERE s.case_id = due.case_id AND s.clock = due.clock AND s.seq = due.seq AND s.breached_at_ms IS NULL AND s.met_at_ms IS NULL
     RETURNING ${columns('s')}`,
    [nowMs, limit],
  );
  return r.rows;
}

/** Every clock of a case, in the order they started. */
export async function listClocks(q: Queryable, caseId: string): Promise<ClockRow[]> {
  const r = await q.query<ClockRow>(`${selectCols} FROM case_sla WHERE case_id = $1::int8 ORDER BY started_at_ms, seq, clock`, [caseId]);
  return r.rows;
}

const time = (ms: number | null) => (ms === null ? null : chinaTime(ms));

export function toClockView(c: ClockRow): SlaClockView {
  return {
    clock: c.clock, seq: c.seq,
    unit: c.unitId !== null && c.unitTier !== null ? { id: c.unitId, tier: Number(c.unitTier) as 1 | 2 | 3 } : null,
    startedAt: chinaTime(c.startedAtMs), allowedMs: c.durationMs, deadline: chinaTime(c.deadlineMs),
    metAt: time(c.metAtMs), breachedAt: time(c.breachedAtMs), stoppedAt: time(c.stoppedAtMs), pausedAt: time(c.pausedAtMs),
    outcome: c.outcome,
  };
}

import type { Queryable } from '../storage/db.js';
import { chinaTime } from '../events/store.js';
import { listShifts } from '../duty/roster.js';
import { listUnits } from '../duty/units.js';
import { maskName, maskPhone } from '../duty/mask.js';
import type { Shift } from '../duty/schema.js';
import { gradeOf, type GradeLevel } from '../../rules/schema.js';
import { forwardedSubjects } from './forwarder-warnings.js';
import type { SharedDevices, SharedDuty, SharedWarnings } from './messages.js';

/**
 * The three datasets shared with the district (seed S4), read from the database so every
 * process shares the same thing. Drills are counted apart; contacts leave only masked.
 */

const chinaOffsetMs = 8 * 3600 * 1000;
const dayMs = 24 * 3600 * 1000;

const bump = (m: Record<string, number>, k: string, by = 1) => {
  m[k] = (m[k] ?? 0) + by;
};

interface DeviceRow {
  id: string;
  kind: string;
  block_code: string;
  status: 'online' | 'offline' | 'unknown';
  last_seen: Date | string | null;
  exercise: boolean;
}

export async function sharedDevices(q: Queryable): Promise<SharedDevices> {
  const rows = (await q.query<DeviceRow>('SELECT id, kind, block_code, status, last_seen, exercise FROM devices ORDER BY id')).rows;
  const byStatus: Record<string, number> = { online: 0, offline: 0, unknown: 0 };
  const byKind: Record<string, Record<string, number>> = {};
  for (const d of rows) {
    bump(byStatus, d.status);
    const k = (byKind[d.kind] ??= { online: 0, offline: 0, unknown: 0, total: 0 });
    bump(k, d.status);
    bump(k, 'total');
  }
  return {
    total: rows.length,
    byStatus,
    byKind,
    devices: rows.map((d) => ({
      id: d.id, kind: d.kind, blockCode: d.block_code, status: d.status,
      lastSeen: d.last_seen === null ? null : chinaTime(new Date(d.last_seen).getTime()), exercise: d.exercise,
    })),
  };
}

const gradeName = (level: number | string): string => gradeOf(Number(level) as GradeLevel) ?? 'none';

/** Open warnings now, and what was raised and cleared in `[fromMs, toMs)`. */
export async function sharedWarnings(q: Queryable, fromMs: number, toMs: number): Promise<SharedWarnings> {
  const subjects = [...forwardedSubjects];
  const open = (await q.query<{ grade: number; kind: string | null; block_code: string; exercise: boolean; n: string }>(
    `SELECT grade, kind, block_code, exercise, count(*)::text AS n FROM warnings
      WHERE state <> 'cleared' AND subject_type = ANY($1::text[]) GROUP BY grade, kind, block_code, exercise`,
    [subjects],
  )).rows;
  const summary: SharedWarnings['open'] = { total: 0, byGrade: {}, byKind: {}, byBlock: {}, exercise: 0 };
  for (const r of open) {
    const n = Number(r.n);
    if (r.exercise) {
      summary.exercise += n;
      continue;
    }
    summary.total += n;
    bump(summary.byGrade, gradeName(r.grade), n);
    bump(summary.byKind, r.kind ?? 'none', n);
    bump(summary.byBlock, r.block_code || 'none', n);
  }
  const raised = (await q.query<{ grade: number; n: string }>(
    `SELECT t.to_grade AS grade, count(*)::text AS n FROM warning_timeline t JOIN warnings w ON w.id = t.warning_id
      WHERE t.type = 'raised' AND t.at_ms >= $1 AND t.at_ms < $2 AND NOT w.exercise AND w.subject_type = ANY($3::text[]) GROUP BY t.to_grade`,
    [fromMs, toMs, subjects],
  )).rows;
  const peak = (await q.query<{ grade: number; n: string }>(
    `SELECT peak_grade AS grade, count(*)::text AS n FROM warnings
      WHERE raised_at_ms >= $1 AND raised_at_ms < $2 AND NOT exercise AND subject_type = ANY($3::text[]) GROUP BY peak_grade`,
    [fromMs, toMs, subjects],
  )).rows;
  const cleared = (await q.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM warnings WHERE cleared_at_ms >= $1 AND cleared_at_ms < $2 AND NOT exercise AND subject_type = ANY($3::text[])`,
    [fromMs, toMs, subjects],
  )).rows;
  const perGrade = (rows: Array<{ grade: number; n: string }>) => Object.fromEntries(rows.map((r) => [gradeName(r.grade), Number(r.n)]));
  return {
    open: summary,
    window: { from: chinaTime(fromMs), to: chinaTime(toMs), raised: perGrade(raised), cleared: Number(cleared[0]?.n ?? 0), peak: perGrade(peak) },
  };
}

/** Start of the period holding `ms`: periods of `everyMs` counted from a Beijing midnight. */
export function periodStart(ms: number, everyMs: number): number {
  return Math.floor((ms + chinaOffsetMs) / everyMs) * everyMs - chinaOffsetMs;
}

/** The Asia/Shanghai calendar day of an instant: its start (epoch ms) and `YYYY-MM-DD`. */
export function shanghaiDay(ms: number): { startMs: number; day: string } {
  const startMs = periodStart(ms, dayMs);
  return { startMs, day: new Date(startMs + chinaOffsetMs).toISOString().slice(0, 10) };
}

const masked = (people: Shift['people'][keyof Shift['people']]) => people.map((p) => ({ name: maskName(p.name), phone: maskPhone(p.phone) }));

export async function sharedDuty(q: Queryable, nowMs: number): Promise<SharedDuty> {
  const { startMs, day } = shanghaiDay(nowMs);
  const shifts = await listShifts(q, startMs, startMs + dayMs, 1000);
  const units = await listUnits(q, nowMs);
  return {
    day,
    shifts: shifts.map((s) => ({
      id: s.id, startsAt: s.startsAt, endsAt: s.endsAt, blocks: s.blocks, kinds: s.kinds,
      people: { duty_officer: masked(s.people.duty_officer), leader_on_duty: masked(s.people.leader_on_duty), head: masked(s.people.head) },
    })),
    units: units.map((u) => ({ id: u.id, name: u.name, tier: u.tier, blocks: u.blocks, kinds: u.kinds, onDutyNow: u.onDutyNow })),
  };
}

import type { Queryable } from '../storage/db.js';
import { outcomeSql } from '../sla/store.js';
import { slaClocks, slaOutcomes, type SlaClockName, type SlaOutcome } from '../sla/schema.js';
import type { Period } from './periods.js';
import { tally } from './tally.js';
import type { CaseSummary, ClockCounts, SlaSummary } from './schema.js';

/**
 * Cases created in a period, by source, current status and category, with median times: to
 * the report and to closing from the incident, to signing and arriving from the (last)
 * dispatch. Exercises are counted apart.
 */
export async function caseSummary(q: Queryable, period: Pick<Period, 'fromMs' | 'toMs'>): Promise<CaseSummary> {
  const range = [period.fromMs, period.toMs];
  const inPeriod = 'created_at_ms >= $1 AND created_at_ms < $2';
  const groups = await q.query<{ source: string; status: string; category: string; exercise: boolean; n: number }>(
    `SELECT source, status, category, exercise, count(*)::int AS n FROM cases WHERE ${inPeriod} GROUP BY 1, 2, 3, 4`,
    range,
  );
  const out: CaseSummary = { total: 0, exercises: 0, bySource: {}, byStatus: {}, byCategory: {}, medianMs: { report: null, sign: null, arrive: null, close: null } };
  for (const g of groups.rows) {
    if (g.exercise) {
      out.exercises += g.n;
      continue;
    }
    out.total += g.n;
    tally(out.bySource, g.source, g.n);
    tally(out.byStatus, g.status, g.n);
    tally(out.byCategory, g.category, g.n);
  }
  const median = (from: string, to: string) => `round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ${to} - ${from}) FILTER (WHERE ${to} >= ${from}))::float8`;
  const m = await q.query<{ report: number | null; sign: number | null; arrive: number | null; close: number | null }>(
    `SELECT ${median('incident_at_ms', 'reported_at_ms')} AS report, ${median('dispatched_at_ms', 'signed_at_ms')} AS sign,
            ${median('dispatched_at_ms', 'arrived_at_ms')} AS arrive, ${median('incident_at_ms', 'closed_at_ms')} AS close
     FROM cases WHERE ${inPeriod} AND NOT exercise`,
    range,
  );
  if (m.rows[0]) out.medianMs = m.rows[0];
  return out;
}

/** SLA clocks that started in a period, by how they ended or stand (docs/sla.md "Outcomes"). */
export async function slaSummary(q: Queryable, period: Pick<Period, 'fromMs' | 'toMs'>): Promise<SlaSummary> {
  const r = await q.query<{ clock: SlaClockName; outcome: SlaOutcome; n: number }>(
    `SELECT s.clock, ${outcomeSql('s')} AS outcome, count(*)::int AS n FROM case_sla s JOIN cases c ON c.id = s.case_id
     WHERE s.started_at_ms >= $1 AND s.started_at_ms < $2 AND NOT c.exercise GROUP BY 1, 2`,
    [period.fromMs, period.toMs],
  );
  const empty = (): ClockCounts => Object.fromEntries(slaOutcomes.map((o) => [o, 0])) as ClockCounts;
  const out = Object.fromEntries(slaClocks.map((c) => [c, empty()])) as SlaSummary;
  for (const row of r.rows) out[row.clock][row.outcome] += row.n;
  return out;
}

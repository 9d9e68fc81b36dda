import type { Queryable } from '../storage/db.js';
import { outcomeSql } from '../sla/store.js';
import type { SlaOutcome } from '../sla/schema.js';
import type { Period } from './periods.js';
import type { LinkageRow, StepCounts, UnitLinkage } from './schema.js';

/**
 * The linkage assessment per unit (seed 004 附件二, 越城区社会应急联动考核细则): 0.5 points off per
 * order not signed within 10 minutes (item 6) and per late arrival (item 7), counted monthly
 * (第十六条, 附件二 "每月将汇总结果报送区政府"). The annex scores by deduction only, with no base:
 * the score is 0 minus the points deducted. Of its 13 items the gateway sees only these two;
 * the others are scored by the linkage centre by hand. A dispatch belongs to the period it
 * started in; exercise cases are not scored.
 */
export interface LinkageResult {
  units: UnitLinkage[];
  totals: LinkageRow;
}

/** Points for a number of misses, exact to the thousandth (0.1 × 3 is 0.3, not 0.30000000000000004). */
export function deduction(misses: number, pointsPerMiss: number): { pointsDeducted: number; score: number } {
  const points = Math.round(misses * pointsPerMiss * 1000) / 1000;
  return { pointsDeducted: points, score: points === 0 ? 0 : -points };
}

const emptySteps = (): StepCounts => ({ onTime: 0, late: 0, never: 0, cancelled: 0, open: 0 });
const stepOf: Record<SlaOutcome, keyof StepCounts> = { met: 'onTime', late: 'late', missed: 'never', stopped: 'cancelled', open: 'open', paused: 'open' };

/** The row of a unit (or the totals) from its sign and arrive clock counts. */
export function linkageRow(signed: StepCounts, arrived: StepCounts, pointsPerMiss: number): LinkageRow {
  const dispatches = Object.values(signed).reduce((a, b) => a + b, 0);
  const misses = signed.late + signed.never + arrived.late + arrived.never;
  return { dispatches, signed, arrived, misses, ...deduction(misses, pointsPerMiss) };
}

interface CountRow {
  unit_id: string;
  tier: number | null;
  clock: 'sign' | 'arrive';
  outcome: SlaOutcome;
  n: number;
}

export async function linkage(q: Queryable, period: Pick<Period, 'fromMs' | 'toMs'>, pointsPerMiss: number): Promise<LinkageResult> {
  const counts = await q.query<CountRow>(
    `SELECT s.unit_id, max(s.unit_tier)::int AS tier, s.clock, ${outcomeSql('s')} AS outcome, count(*)::int AS n
     FROM case_sla s JOIN cases c ON c.id = s.case_id
     WHERE s.clock IN ('sign', 'arrive') AND s.unit_id IS NOT NULL AND s.started_at_ms >= $1 AND s.started_at_ms < $2 AND NOT c.exercise
     GROUP BY 1, 3, 4`,
    [period.fromMs, period.toMs],
  );
  const registry = await q.query<{ id: string; name: string; tier: number }>('SELECT id, name, tier::int AS tier FROM duty_units');
  const units = new Map<string, { name: string | null; tier: number | null; signed: StepCounts; arrived: StepCounts }>();
  for (const u of registry.rows) units.set(u.id, { name: u.name, tier: u.tier, signed: emptySteps(), arrived: emptySteps() });
  const totals = { signed: emptySteps(), arrived: emptySteps() };
  for (const r of counts.rows) {
    let u = units.get(r.unit_id);
    if (!u) units.set(r.unit_id, (u = { name: null, tier: r.tier, signed: emptySteps(), arrived: emptySteps() }));
    const side = r.clock === 'sign' ? 'signed' : 'arrived';
    u[side][stepOf[r.outcome]] += r.n;
    totals[side][stepOf[r.outcome]] += r.n;
  }
  const rows = [...units].map(([id, u]) => ({ unit: { id, name: u.name, tier: u.tier }, ...linkageRow(u.signed, u.arrived, pointsPerMiss) }));
  rows.sort((a, b) => (a.unit.tier ?? 9) - (b.unit.tier ?? 9) || a.unit.id.localeCompare(b.unit.id));
  return { units: rows, totals: linkageRow(totals.signed, totals.arrived, pointsPerMiss) };
}

import type { Queryable } from '../storage/db.js';
import { gradeName } from '../warnings/repo.js';
import type { Period } from './periods.js';
import { tally } from './tally.js';
import type { WarningSummary } from './schema.js';

/**
 * Warnings raised in a period: by the highest grade each reached, kind, block and category, and
 * how 叫应 went (acknowledged within the first step's deadline of its call plan, later, never).
 * Exercises are counted apart.
 */
export async function warningSummary(q: Queryable, period: Pick<Period, 'fromMs' | 'toMs'>): Promise<WarningSummary> {
  const range = [period.fromMs, period.toMs];
  const groups = await q.query<{ peak_grade: number; kind: string | null; block_code: string; category: string; exercise: boolean; n: number }>(
    `SELECT peak_grade, kind, block_code, category, exercise, count(*)::int AS n FROM warnings
     WHERE raised_at_ms >= $1 AND raised_at_ms < $2 GROUP BY 1, 2, 3, 4, 5`,
    range,
  );
  const out: WarningSummary = {
    total: 0, exercises: 0, byGrade: {}, byKind: {}, byBlock: {}, byCategory: {},
    acknowledgement: { required: 0, inTime: 0, late: 0, never: 0 },
  };
  for (const g of groups.rows) {
    if (g.exercise) {
      out.exercises += g.n;
      continue;
    }
    out.total += g.n;
    tally(out.byGrade, gradeName(g.peak_grade), g.n);
    tally(out.byKind, g.kind ?? 'none', g.n);
    tally(out.byBlock, g.block_code === '' ? 'none' : g.block_code, g.n);
    tally(out.byCategory, g.category, g.n);
  }
  const ack = await q.query<{ required: number; in_time: number; acknowledged: number }>(
    `SELECT count(*)::int AS required, count(c.acknowledged_at)::int AS acknowledged,
            count(*) FILTER (WHERE c.acknowledged_at <= c.created_at + (c.steps -> 0 ->> 'deadlineMs')::int8 * INTERVAL '1 millisecond')::int AS in_time
     FROM callouts c JOIN warnings w ON c.warning_id = w.id::text
     WHERE w.raised_at_ms >= $1 AND w.raised_at_ms < $2 AND NOT w.exercise`,
    range,
  );
  const a = ack.rows[0];
  if (a) out.acknowledgement = { required: a.required, inTime: a.in_time, late: a.acknowledged - a.in_time, never: a.required - a.acknowledged };
  return out;
}

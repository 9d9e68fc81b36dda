import t from 'tap';
import { isoWeekOf, monthPeriod, weekPeriod, yearPeriod } from './periods.js';
import { deduction, linkageRow } from './linkage.js';

const sh = (local: string) => Date.parse(`${local}+08:00`);

void t.test('months run from local midnight to local midnight; the default is the last complete one', async (t) => {
  t.same(monthPeriod('2026-11', 0), { kind: 'month', label: '2026-11', fromMs: sh('2026-11-01T00:00:00'), toMs: sh('2026-12-01T00:00:00') });
  t.same(monthPeriod('2026-12', 0), { kind: 'month', label: '2026-12', fromMs: sh('2026-12-01T00:00:00'), toMs: sh('2027-01-01T00:00:00') });
  t.equal(monthPeriod(undefined, sh('2026-12-01T00:00:00')).label, '2026-11', 'Shanghai midnight: November is over (it is still 30 November in UTC)');
  t.equal(monthPeriod(undefined, sh('2026-11-30T23:59:59')).label, '2026-10', 'a second before: November is not complete');
  t.equal(monthPeriod(undefined, sh('2027-01-15T12:00:00')).label, '2026-12', 'January: last December');
  t.throws(() => monthPeriod('2026-13', 0), { code: 'GW_ERR_VALIDATION', message: /2026-13/ });
  t.throws(() => monthPeriod('2026-1', 0), { code: 'GW_ERR_VALIDATION' });
});

void t.test('ISO weeks start on Monday; week 1 holds the first Thursday; 53-week years', async (t) => {
  t.same(weekPeriod('2026-W48', 0), { kind: 'week', label: '2026-W48', fromMs: sh('2026-11-23T00:00:00'), toMs: sh('2026-11-30T00:00:00') });
  t.equal(weekPeriod('2026-W01', 0).fromMs, sh('2025-12-29T00:00:00'), '1 January 2026 is a Thursday: week 1 starts in 2025');
  t.equal(weekPeriod('2026-W53', 0).fromMs, sh('2026-12-28T00:00:00'), '2026 has 53 weeks');
  t.throws(() => weekPeriod('2027-W53', 0), { code: 'GW_ERR_VALIDATION', message: /52 ISO weeks/ });
  t.throws(() => weekPeriod('2026-W00', 0), { code: 'GW_ERR_VALIDATION' });
  t.equal(weekPeriod(undefined, sh('2026-11-30T00:00:00')).label, '2026-W48', 'Monday midnight: last week is complete');
  t.equal(weekPeriod(undefined, sh('2026-11-29T23:59:59')).label, '2026-W47', 'Sunday night: the week is not over');
  t.equal(weekPeriod(undefined, sh('2027-01-06T09:00:00')).label, '2026-W53');
  t.same(isoWeekOf(sh('2027-01-03T23:59:59')), { year: 2026, week: 53 });
  t.same(isoWeekOf(sh('2027-01-04T00:00:00')), { year: 2027, week: 1 });
  t.same(isoWeekOf(sh('2025-12-29T00:00:00')), { year: 2026, week: 1 });
});

void t.test('years; the default is last year from local New Year', async (t) => {
  t.same(yearPeriod('2026', 0), { kind: 'year', label: '2026', fromMs: sh('2026-01-01T00:00:00'), toMs: sh('2027-01-01T00:00:00') });
  t.equal(yearPeriod(undefined, sh('2027-01-01T00:00:00')).label, '2026');
  t.equal(yearPeriod(undefined, sh('2026-12-31T23:59:59')).label, '2025');
  t.throws(() => yearPeriod('26', 0), { code: 'GW_ERR_VALIDATION' });
});

void t.test('linkage arithmetic: 0.5 points per miss, exact', async (t) => {
  t.same(deduction(3, 0.5), { pointsDeducted: 1.5, score: -1.5 });
  t.same(deduction(0, 0.5), { pointsDeducted: 0, score: 0 }, 'no misses: 0, not -0');
  t.ok(Object.is(deduction(0, 0.5).score, 0));
  t.same(deduction(3, 0.1), { pointsDeducted: 0.3, score: -0.3 }, 'no floating-point residue');
  t.same(deduction(7, 0.25), { pointsDeducted: 1.75, score: -1.75 });
  const row = linkageRow({ onTime: 4, late: 1, never: 1, cancelled: 1, open: 1 }, { onTime: 5, late: 1, never: 0, cancelled: 1, open: 1 }, 0.5);
  t.same(row, {
    dispatches: 8, signed: { onTime: 4, late: 1, never: 1, cancelled: 1, open: 1 }, arrived: { onTime: 5, late: 1, never: 0, cancelled: 1, open: 1 },
    misses: 3, pointsDeducted: 1.5, score: -1.5,
  }, 'late and never count for signing and arriving; cancelled and open do not');
});

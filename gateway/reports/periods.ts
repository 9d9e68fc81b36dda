import { GatewayError } from '../core/errors.js';

/**
 * Report periods in Asia/Shanghai time (UTC+8, no daylight saving since 1991): a period starts
 * and ends at local midnight, `[fromMs, toMs)`. Weeks are ISO 8601 weeks (Monday first; week 1
 * holds the year's first Thursday). Without a period named, the last complete one.
 */
export type PeriodKind = 'week' | 'month' | 'year';

export interface Period {
  kind: PeriodKind;
  /** 2026-W48, 2026-11, 2026. */
  label: string;
  fromMs: number;
  toMs: number;
}

const OFFSET = 8 * 3600_000;
const DAY = 86_400_000;

/** The instant of local midnight starting a local date (month 1-12; days past the month roll over). */
export function localMidnight(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) - OFFSET;
}

/** The local calendar date of an instant. */
function localDate(ms: number): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(ms + OFFSET);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: ((d.getUTCDay() + 6) % 7) + 1 };
}

const bad = (what: string, value: string, why: string) =>
  new GatewayError('GW_ERR_VALIDATION', `${what} "${value}" ${why}`, [{ field: `/${what}`, message: why }]);

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function monthPeriod(month: string | undefined, nowMs: number): Period {
  let year: number;
  let m: number;
  if (month === undefined) {
    const now = localDate(nowMs);
    [year, m] = now.month === 1 ? [now.year - 1, 12] : [now.year, now.month - 1];
  } else {
    const match = /^([0-9]{4})-([0-9]{2})$/.exec(month);
    if (!match) throw bad('month', month, 'is not YYYY-MM');
    [year, m] = [Number(match[1]), Number(match[2])];
    if (m < 1 || m > 12) throw bad('month', month, 'has no month 01-12');
  }
  return { kind: 'month', label: `${year}-${pad(m)}`, fromMs: localMidnight(year, m, 1), toMs: localMidnight(year, m + 1, 1) };
}

export function yearPeriod(year: string | undefined, nowMs: number): Period {
  let y: number;
  if (year === undefined) y = localDate(nowMs).year - 1;
  else {
    if (!/^[0-9]{4}$/.test(year)) throw bad('year', year, 'is not YYYY');
    y = Number(year);
  }
  return { kind: 'year', label: String(y), fromMs: localMidnight(y, 1, 1), toMs: localMidnight(y + 1, 1, 1) };
}

/** Local midnight starting Monday of ISO week 1 of `year`: the week holding 4 January. */
function isoWeekOne(year: number): number {
  const jan4 = localMidnight(year, 1, 4);
  return jan4 - (localDate(jan4).weekday - 1) * DAY;
}

/** The ISO week (year and number) an instant falls in, local time. */
export function isoWeekOf(ms: number): { year: number; week: number } {
  const { year } = localDate(ms);
  for (const y of [year + 1, year, year - 1]) {
    const start = isoWeekOne(y);
    if (ms >= start) return { year: y, week: Math.floor((ms - start) / (7 * DAY)) + 1 };
  }
  throw new Error(`no ISO week for ${ms}`);
}

export function weekPeriod(week: string | undefined, nowMs: number): Period {
  let fromMs: number;
  if (week === undefined) {
    const today = localDate(nowMs);
    fromMs = localMidnight(today.year, today.month, today.day) - (today.weekday - 1) * DAY - 7 * DAY;
  } else {
    const match = /^([0-9]{4})-W([0-9]{2})$/.exec(week);
    if (!match) throw bad('week', week, 'is not YYYY-Www');
    const [year, n] = [Number(match[1]), Number(match[2])];
    const weeks = (isoWeekOne(year + 1) - isoWeekOne(year)) / (7 * DAY);
    if (n < 1 || n > weeks) throw bad('week', week, `has no week ${pad(n)} (${year} has ${weeks} ISO weeks)`);
    fromMs = isoWeekOne(year) + (n - 1) * 7 * DAY;
  }
  const { year, week: n } = isoWeekOf(fromMs);
  return { kind: 'week', label: `${year}-W${pad(n)}`, fromMs, toMs: fromMs + 7 * DAY };
}

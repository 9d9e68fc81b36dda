import { Type, type Static } from 'typebox';
import { GatewayError } from '../core/errors.js';

/**
 * Duty calendars of disposal units (seed 004 第十一条): tier 1 keeps watch round the clock,
 * tier 2 the district government's unified duty hours including weekends and holidays, tier 3
 * office hours only. A calendar is weekly windows in a time zone, plus dates that count as a
 * Sunday (statutory holidays) or a Monday (make-up working days, 调休).
 */
const hhmm = '([01][0-9]|2[0-3]):[0-5][0-9]';
const DateString = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });
const allWeek = [1, 2, 3, 4, 5, 6, 7];

export const DutyWindow = Type.Object(
  {
    weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, default: allWeek, description: 'ISO weekdays the window starts on, 1 = Monday (default: every day).' }),
    from: Type.String({ pattern: `^${hhmm}$`, description: 'Local start HH:MM.' }),
    to: Type.String({ pattern: `^(${hhmm}|24:00)$`, description: 'Local end HH:MM; `24:00` is midnight; earlier than `from` runs overnight into the next day.' }),
  },
  { additionalProperties: false },
);

export const DutyCalendar = Type.Object(
  {
    timezone: Type.String({ default: 'Asia/Shanghai', description: 'IANA time zone the windows are read in.' }),
    windows: Type.Array(DutyWindow, { maxItems: 50, description: 'When the unit is on duty; none: never (contacts only).' }),
    holidays: Type.Array(DateString, { default: [], description: 'Local dates counted as a Sunday (statutory holidays).' }),
    workdays: Type.Array(DateString, { default: [], description: 'Local dates counted as a Monday (make-up working days).' }),
  },
  { additionalProperties: false },
);
export type DutyCalendar = Static<typeof DutyCalendar>;
export type Tier = 1 | 2 | 3;

const officeHours = { from: '08:30', to: '17:30' };

/** The calendar a unit gets when it does not give its own. Tier 2 hours are the district's to set. */
export function defaultCalendar(tier: Tier): DutyCalendar {
  const windows =
    tier === 1 ? [{ weekdays: allWeek, from: '00:00', to: '24:00' }]
    : tier === 2 ? [{ weekdays: allWeek, ...officeHours }]
    : [{ weekdays: [1, 2, 3, 4, 5], ...officeHours }];
  return { timezone: 'Asia/Shanghai', windows, holidays: [], workdays: [] };
}

/** What the schema cannot say: a known time zone, and no empty window. Throws GW_ERR_VALIDATION. */
export function checkCalendar(cal: DutyCalendar, at = '/calendar'): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: cal.timezone });
  } catch {
    throw new GatewayError('GW_ERR_VALIDATION', `unknown time zone "${cal.timezone}"`, [{ field: `${at}/timezone`, message: 'is not an IANA time zone' }]);
  }
  cal.windows.forEach((w, i) => {
    if (minutes(w.from) === minutes(w.to)) {
      throw new GatewayError('GW_ERR_VALIDATION', `duty window ${i} starts and ends at the same time; use 00:00–24:00 for a whole day`, [{ field: `${at}/windows/${i}`, message: 'from equals to' }]);
    }
  });
}

const DAY = 86_400_000;
const MINUTE = 60_000;

/** On-duty intervals `[start, end)` within `[fromMs, toMs)`, merged and in order. */
export function dutyIntervals(cal: DutyCalendar, fromMs: number, toMs: number): Array<[number, number]> {
  if (toMs <= fromMs) return [];
  const zone = zoneOf(cal.timezone);
  const raw: Array<[number, number]> = [];
  // A window may start the day before `fromMs` and run overnight into it.
  for (let day = zone.localDay(fromMs) - 1; day <= zone.localDay(toMs); day++) {
    const weekday = weekdayOf(cal, day);
    for (const w of cal.windows) {
      if (!w.weekdays.includes(weekday)) continue;
      const f = minutes(w.from);
      const t = minutes(w.to);
      const start = zone.toUtc(day * DAY + f * MINUTE);
      const end = zone.toUtc(day * DAY + (t <= f ? DAY : 0) + t * MINUTE);
      const s = Math.max(start, fromMs);
      const e = Math.min(end, toMs);
      if (e > s) raw.push([s, e]);
    }
  }
  raw.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of raw) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Whether the unit keeps watch at this instant. */
export function onDuty(unit: { calendar: DutyCalendar }, atMs: number): boolean {
  return dutyIntervals(unit.calendar, atMs, atMs + 1).length > 0;
}

/** Milliseconds of duty time in `[fromMs, toMs)`: SLA clocks of non-tier-1 units run only then. */
export function dutyTimeBetween(unit: { calendar: DutyCalendar }, fromMs: number, toMs: number): number {
  return dutyIntervals(unit.calendar, fromMs, toMs).reduce((sum, [s, e]) => sum + (e - s), 0);
}

/** How far ahead `dutyDeadline` looks, and in what steps: a year of holidays is the longest gap. */
const DEADLINE_HORIZON = 400 * DAY;
const DEADLINE_STEP = 7 * DAY;

/**
 * The instant the unit's duty time since `fromMs` reaches `durationMs`: an SLA deadline that
 * counts only duty time (seed 004 附件二 6, 7: "在规定值守时间内"). Round the clock (tier 1) it is
 * plain addition; a tier-3 unit dispatched on a Friday evening gets its minutes on Monday
 * morning. Infinity when the calendar gives that much duty time in no less than a year.
 */
export function dutyDeadline(unit: { calendar: DutyCalendar }, fromMs: number, durationMs: number): number {
  if (durationMs <= 0) return fromMs;
  let left = durationMs;
  for (let start = fromMs; start < fromMs + DEADLINE_HORIZON; start += DEADLINE_STEP) {
    for (const [s, e] of dutyIntervals(unit.calendar, start, start + DEADLINE_STEP)) {
      if (e - s >= left) return s + left;
      left -= e - s;
    }
  }
  return Number.POSITIVE_INFINITY;
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** ISO weekday of a local day number (days since 1970-01-01 local), after the holiday lists. */
function weekdayOf(cal: DutyCalendar, day: number): number {
  const date = new Date(day * DAY).toISOString().slice(0, 10);
  if (cal.holidays.includes(date)) return 7;
  if (cal.workdays.includes(date)) return 1;
  return ((((day + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
}

interface Zone {
  /** Local day number of an instant. */
  localDay(ms: number): number;
  /** The instant of a local wall-clock time written as ms since the local epoch. */
  toUtc(localMs: number): number;
}

const zones = new Map<string, Zone>();

function zoneOf(timezone: string): Zone {
  const known = zones.get(timezone);
  if (known) return known;
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const offset = (ms: number): number => {
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const local = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
    return local - (ms - (((ms % 1000) + 1000) % 1000));
  };
  const zone: Zone = {
    localDay: (ms) => Math.floor((ms + offset(ms)) / DAY),
    // Twice, so a guess across a DST change settles on the offset in force at the result.
    toUtc: (localMs) => localMs - offset(localMs - offset(localMs)),
  };
  zones.set(timezone, zone);
  return zone;
}

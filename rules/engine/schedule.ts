import type { Schedule } from '../schema.js';

/**
 * When a rule may raise or upgrade (rule.schedule). Windows are read in the schedule's IANA
 * zone; a window matches when the local month and ISO weekday (1 = Monday) are listed (or not
 * filtered) and the local time is in [from, to). `to` before `from` is overnight: the part after
 * midnight belongs to the day the window started (Friday 22:00–06:00 covers Saturday 03:00).
 * `from` defaults to 00:00, `to` to 24:00; from = to is the whole day.
 */
export interface CompiledSchedule {
  isActive(tMs: number): boolean;
  /** The first instant ≥ tMs at which the schedule is active (within about a year), or Infinity. */
  nextActive(tMs: number): number;
}

const dayMs = 86_400_000;
const bucketMs = 900_000; // zone offsets change on quarter-hour boundaries at most

/** UTC offset of a zone at an instant, cached per quarter hour (Intl formatting is slow). */
class Zone {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();

  constructor(timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  offset(tMs: number): number {
    const bucket = Math.floor(tMs / bucketMs);
    let off = this.cache.get(bucket);
    if (off === undefined) {
      const base = bucket * bucketMs;
      const p: Record<string, number> = {};
      for (const part of this.fmt.formatToParts(new Date(base))) if (part.type !== 'literal') p[part.type] = Number(part.value);
      const local = Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
      off = local - base;
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(bucket, off);
    }
    return off;
  }

  /** Local wall-clock ms (as if UTC) → the instant, for the offset in force then. */
  toInstant(localMs: number): number {
    const guess = localMs - this.offset(localMs);
    return localMs - this.offset(guess);
  }
}

const zones = new Map<string, Zone>();
function zone(name: string): Zone {
  let z = zones.get(name);
  if (!z) {
    z = new Zone(name); // throws RangeError for an unknown zone: the rule is refused
    zones.set(name, z);
  }
  return z;
}

interface Window {
  months: boolean[] | null;
  weekdays: boolean[] | null;
  from: number;
  to: number;
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const flags = (list: readonly number[] | undefined, size: number): boolean[] | null => {
  if (!list) return null;
  const out = new Array<boolean>(size).fill(false);
  for (const n of list) out[n] = true;
  return out;
};

export function compileSchedule(s: Schedule): CompiledSchedule {
  const z = zone(s.timezone ?? 'Asia/Shanghai');
  const windows: Window[] = s.windows.map((w) => ({
    months: flags(w.months, 13),
    weekdays: flags(w.weekdays, 8),
    from: w.from === undefined ? 0 : minutes(w.from),
    to: w.to === undefined ? 1440 : minutes(w.to),
  }));
  /** Local day number (days since 1970-01-01 local) passes the window's month and weekday filters. */
  const dayOk = (w: Window, day: number): boolean => {
    if (w.weekdays && !w.weekdays[((day % 7) + 10) % 7 + 1]) return false; // day 0 was a Thursday (ISO 4)
    if (w.months && !w.months[new Date(day * dayMs).getUTCMonth() + 1]) return false;
    return true;
  };
  const isActive = (tMs: number): boolean => {
    const local = tMs + z.offset(tMs);
    const day = Math.floor(local / dayMs);
    const minute = Math.floor((local - day * dayMs) / 60_000);
    for (const w of windows) {
      if (w.from === w.to) {
        if (dayOk(w, day)) return true;
      } else if (w.from < w.to) {
        if (minute >= w.from && minute < w.to && dayOk(w, day)) return true;
      } else if ((minute >= w.from && dayOk(w, day)) || (minute < w.to && dayOk(w, day - 1))) return true;
    }
    return false;
  };
  return {
    isActive,
    nextActive(tMs) {
      if (isActive(tMs)) return tMs;
      const today = Math.floor((tMs + z.offset(tMs)) / dayMs);
      for (let day = today; day <= today + 400; day++) {
        let best = Infinity;
        for (const w of windows) {
          if (!dayOk(w, day)) continue;
          const start = z.toInstant(day * dayMs + (w.from === w.to ? 0 : w.from) * 60_000);
          if (start > tMs && start < best) best = start;
        }
        if (best < Infinity) return best;
      }
      return Infinity;
    },
  };
}

/** Device timestamps: what we accept and how it becomes ms since epoch. */

/** Readings before 2000 or after 2100 are a unit mistake (seconds for ms) or a reset clock. */
export const minDeviceTime = Date.UTC(2000, 0, 1);
export const maxDeviceTime = Date.UTC(2100, 0, 1);

// ISO-8601 with a mandatory offset: a local time without one is ambiguous on the wire.
const isoRe = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

export type TimeResult = { ok: true; time: number } | { ok: false; message: string };

/** `ts` as integer ms since epoch or ISO-8601 text with offset. */
export function parseTimestamp(v: number | string): TimeResult {
  if (typeof v === 'number') return checkMs(v, 'ms since epoch');
  if (!isoRe.test(v)) return { ok: false, message: `"${v.slice(0, 40)}" is not ISO-8601 with an offset (e.g. 2024-05-29T12:00:00+08:00)` };
  const t = Date.parse(v);
  if (Number.isNaN(t)) return { ok: false, message: `"${v}" is not a valid date` };
  return checkMs(t, 'time');
}

/** Epoch seconds, as many NB-IoT devices send. */
export function fromEpochSeconds(s: number): TimeResult {
  return checkMs(s * 1000, 'seconds since epoch');
}

function checkMs(t: number, what: string): TimeResult {
  if (!Number.isInteger(t) || t < minDeviceTime || t >= maxDeviceTime) {
    return { ok: false, message: `${t} is not ${what} between 2000 and 2100` };
  }
  return { ok: true, time: t };
}

/**
 * Beijing time (UTC+8, no daylight saving) calendar fields → ms since epoch; undefined when a
 * field is out of its calendar range (e.g. month 13, 31 February).
 */
export function beijingToMs(year: number, month: number, day: number, hour: number, minute: number, second = 0): number | undefined {
  const t = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(t);
  const same =
    d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day &&
    d.getUTCHours() === hour && d.getUTCMinutes() === minute && d.getUTCSeconds() === second;
  return same ? t - 8 * 3600_000 : undefined;
}

/** ms since epoch → Beijing calendar fields. */
export function msToBeijing(ms: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const d = new Date(ms + 8 * 3600_000);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
  };
}

const localRe = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** `YYYY-MM-DD hh:mm:ss` in Beijing time, the usual vendor JSON form. */
export function parseBeijingText(v: string): TimeResult {
  const m = localRe.exec(v);
  const t = m ? beijingToMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
  if (t === undefined) return { ok: false, message: `"${v.slice(0, 40)}" is not "YYYY-MM-DD hh:mm:ss" Beijing time` };
  return checkMs(t, 'time');
}

/** ms → `YYYY-MM-DD hh:mm:ss` Beijing time. */
export function formatBeijingText(ms: number): string {
  const b = msToBeijing(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${b.year}-${p(b.month)}-${p(b.day)} ${p(b.hour)}:${p(b.minute)}:${p(b.second)}`;
}

/** A device clock as it travels in a payload field: read (and checked), and written by encoders. */
export interface WireClock<W> {
  parse(v: W): TimeResult;
  format(ms: number): W;
}

export const msOrIsoClock: WireClock<number | string> = { parse: parseTimestamp, format: (ms) => ms };
export const epochSecondsClock: WireClock<number> = { parse: fromEpochSeconds, format: (ms) => Math.floor(ms / 1000) };
export const beijingTextClock: WireClock<string> = { parse: parseBeijingText, format: formatBeijingText };

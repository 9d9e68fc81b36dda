/** Helpers the platform adapters share: wire bodies are `unknown` until checked here. */
import type { DecodeError } from '../types.js';
import { maxDeviceTime, minDeviceTime } from './time.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Flat property bag from a platform object: numbers, strings and booleans pass; null (the
 * platform's "no value") is left out; nested objects and arrays are refused by name.
 */
export function scalarProperties(obj: Record<string, unknown>, path: string): Checked<Record<string, number | string | boolean>> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null) continue;
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) {
      out[k] = v;
      continue;
    }
    const field = `${path}/${k}`;
    return { ok: false, error: { code: 'WRONG_TYPE', message: `${field} must be a number, string or boolean`, field } };
  }
  return { ok: true, value: out };
}

/** A platform timestamp in ms, or an error naming the field. Absent stays absent. */
export function platformTime(v: unknown, field: string): Checked<number | undefined> {
  if (v === undefined) return { ok: true, value: undefined };
  if (typeof v === 'number' && Number.isInteger(v) && v >= minDeviceTime && v < maxDeviceTime) return { ok: true, value: v };
  return { ok: false, error: { code: 'WRONG_TYPE', message: `${field} must be ms since epoch (between 2000 and 2100)`, field } };
}

export function missing(field: string, what: string): { ok: false; error: DecodeError } {
  return { ok: false, error: { code: 'MISSING_FIELD', message: `${field} is required (${what})`, field } };
}

export function wrongType(field: string, what: string): { ok: false; error: DecodeError } {
  return { ok: false, error: { code: 'WRONG_TYPE', message: `${field} must be ${what}`, field } };
}

/** A non-empty id string (≤ 128 characters) at `field` of `obj`. */
export function idField(obj: Record<string, unknown>, key: string, path = ''): Checked<string> {
  const field = `${path}/${key}`;
  const v = obj[key];
  if (v === undefined) return missing(field, 'the device id');
  if (typeof v !== 'string' || v.length === 0 || v.length > 128) return wrongType(field, 'a non-empty string of at most 128 characters');
  return { ok: true, value: v };
}

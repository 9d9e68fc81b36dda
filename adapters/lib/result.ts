import type { DecodeError, DecodeErrorCode, DecodeResult, Reading } from '../types.js';

/** Shorthands so adapters read as data, not plumbing. */
export function ok(readings: Reading[]): DecodeResult {
  return { ok: true, readings };
}

export function fail(code: DecodeErrorCode, message: string, field?: string): { ok: false; error: DecodeError } {
  return { ok: false, error: field === undefined ? { code, message } : { code, message, field } };
}

/** A reading with optional device time and sequence number, leaving absent keys out. */
export function reading(metric: string, v: number | string, meta: { time?: number | undefined; seq?: number | undefined } = {}): Reading {
  const r: Reading = typeof v === 'number' ? { metric, value: v } : { metric, state: v };
  if (meta.time !== undefined) r.time = meta.time;
  if (meta.seq !== undefined) r.seq = meta.seq;
  return r;
}

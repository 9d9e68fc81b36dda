/**
 * Messages between the PGlite driver (main thread) and its worker thread. Everything here
 * crosses postMessage, so it is plain data (structured clone: Date and Uint8Array survive).
 */
import type { StorageMode } from './db.js';

export interface WorkerInit {
  dataDir: string;
  /** Try the TimescaleDB extension (false: plain PostgreSQL from the start). */
  timescale: boolean;
}

export type WorkerRequest =
  | { id: number; op: 'query'; sql: string; params: readonly unknown[] }
  | { id: number; op: 'close' };

export type WorkerReply =
  | { type: 'ready'; mode: StorageMode; package: string; version: string; extversion: string | null }
  | { type: 'init-failed'; error: WireError }
  | { type: 'result'; id: number; rows: Record<string, unknown>[]; rowCount: number }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'closed'; id: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string; data?: Record<string, unknown> };

/** A PostgreSQL error's fields, as node-postgres exposes them on its DatabaseError. */
export interface WireError {
  message: string;
  code?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  position?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

const wireFields = ['code', 'severity', 'detail', 'hint', 'position', 'schema', 'table', 'column', 'constraint'] as const;

export function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { message: String(e) };
  const out: WireError = { message: e.message };
  const rec = e as unknown as Record<string, unknown>;
  for (const k of wireFields) {
    const v = rec[k];
    if (typeof v === 'string' && v !== '') out[k] = v;
  }
  return out;
}

/** A database error from the embedded driver: same shape as node-postgres's DatabaseError. */
export class DatabaseError extends Error {
  code?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  position?: string;
  schema?: string;
  table?: string;
  column?: string;
  constraint?: string;
  constructor(wire: WireError) {
    super(wire.message);
    this.name = 'DatabaseError';
    for (const k of wireFields) if (wire[k] !== undefined) this[k] = wire[k];
  }
}

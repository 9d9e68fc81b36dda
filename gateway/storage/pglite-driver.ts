import { AsyncLocalStorage } from 'node:async_hooks';
import { Worker } from 'node:worker_threads';
import type { Db, Queryable, QueryResult, StorageMode } from './db.js';
import { DatabaseError, type WorkerInit, type WorkerReply, type WorkerRequest } from './pglite-protocol.js';
import { lockDirectory } from './dir-lock.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

/**
 * Embedded PGlite behind the Db interface. The database lives in a worker thread
 * (pglite-worker.ts) so a slow query cannot stall the MQTT event loop; this side only posts
 * messages. PGlite is one connection, so every transaction and session is an exclusive slot in
 * a FIFO queue: a query from another caller waits until the COMMIT instead of landing inside
 * someone else's BEGIN...COMMIT. Plain queries take a slot of their own in the same queue.
 */
export interface PgliteDriverOptions {
  /** Directory of the database files ({dataDir}/pglite), or `memory://` (tests). */
  dataDir: string;
  logger: Logger;
  /** Load the TimescaleDB extension (default true); false runs plain PostgreSQL. */
  timescale?: boolean;
}

export interface PgliteDb extends Db {
  readonly driver: 'pglite';
  /** Which package and versions the worker loaded, for the startup log. */
  readonly info: { package: string; version: string; extversion: string | null };
  /** Stops the worker at once without closing the database (crash semantics): pending queries reject. */
  terminate(): Promise<void>;
}

interface Pending {
  resolve(r: QueryResult<Record<string, unknown>> | undefined): void;
  reject(e: Error): void;
}

/** An exclusive slot (transaction or session); `open` is false once it has finished. */
interface Section {
  open: boolean;
}

/**
 * The worker is TypeScript, so it needs tsx's loader. On Node 20 `execArgv: ['--import', 'tsx']`
 * does not reach a worker's entry module (it fails with "Unknown file extension .ts"), so a
 * tiny script entry registers tsx in the worker and then imports the real file. This works
 * under `node --import tsx`, tap, and a programmatic `register()` (bin/cityops.js).
 */
const bootstrap = `const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.entry); });`;

function spawnWorker(init: WorkerInit): Worker {
  const workerData = { tsxApi: import.meta.resolve('tsx/esm/api'), entry: new URL('./pglite-worker.ts', import.meta.url).href, init };
  return new Worker(bootstrap, { eval: true, workerData });
}

export async function openPglite(opts: PgliteDriverOptions): Promise<PgliteDb> {
  const log = opts.logger;
  const init: WorkerInit = { dataDir: opts.dataDir, timescale: opts.timescale ?? true };
  const lock = opts.dataDir.startsWith('memory://') ? undefined : lockDirectory(`${opts.dataDir}.lock`, `the embedded database in ${opts.dataDir}`);
  const worker = spawnWorker(init);
  worker.once('exit', () => lock?.release());
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let stopped: Error | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;

  // The worker keeps the process alive only while a request is in flight.
  const refresh = () => (pending.size > 0 ? worker.ref() : worker.unref());

  const ready = new Promise<Extract<WorkerReply, { type: 'ready' }>>((resolve, reject) => {
    worker.on('message', (m: WorkerReply) => {
      switch (m.type) {
        case 'ready':
          resolve(m);
          return;
        case 'init-failed':
          reject(new DatabaseError(m.error));
          return;
        case 'log':
          log[m.level](m.data ?? {}, m.msg);
          return;
        case 'result':
        case 'error':
        case 'closed': {
          const p = pending.get(m.id);
          if (!p) return;
          pending.delete(m.id);
          refresh();
          if (m.type === 'result') p.resolve({ rows: m.rows, rowCount: m.rowCount });
          else if (m.type === 'error') p.reject(new DatabaseError(m.error));
          else p.resolve(undefined);
        }
      }
    });
    worker.on('error', (err) => {
      log.error({ err: err.message }, 'embedded database worker failed');
      reject(err);
    });
    worker.on('exit', (code) => {
      stopped = new GatewayError('GW_ERR_NOT_READY', closing ? 'embedded database is closed' : `embedded database worker stopped (exit code ${code})`);
      if (!closing) log.error({ exitCode: code, pending: pending.size }, 'embedded database worker stopped: database not ready');
      for (const p of pending.values()) p.reject(stopped);
      pending.clear();
      reject(stopped);
    });
  });

  function send(req: WorkerRequest): Promise<QueryResult<Record<string, unknown>> | undefined> {
    if (stopped) return Promise.reject(stopped);
    return new Promise((resolve, reject) => {
      pending.set(req.id, { resolve, reject });
      refresh();
      worker.postMessage(req);
    });
  }

  async function rpc<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    const r = await send({ id: nextId++, op: 'query', sql, params: params ?? [] });
    return r as QueryResult<R>;
  }

  // FIFO of exclusive slots. `inside` tells a call made from within a slot's own fn, which
  // would otherwise wait for itself forever.
  let tail: Promise<unknown> = Promise.resolve();
  const inside = new AsyncLocalStorage<Section>();
  function exclusive<T>(fn: (section: Section) => Promise<T>): Promise<T> {
    if (inside.getStore()?.open) {
      return Promise.reject(new Error('db.query/transaction/session called from inside db.transaction or db.session on the embedded driver: use the tx/conn handle passed to fn'));
    }
    const section: Section = { open: true };
    const run = tail.then(() =>
      inside.run(section, () => fn(section)).finally(() => {
        section.open = false;
      }),
    );
    tail = run.then(noop, noop);
    return run;
  }
  function handle(section: Section, what: string): Queryable {
    return {
      query: <R>(sql: string, params?: readonly unknown[]) =>
        section.open ? rpc<R>(sql, params) : Promise.reject(new Error(`${what} already finished: query not run`)),
    };
  }

  let info: Extract<WorkerReply, { type: 'ready' }>;
  try {
    info = await ready;
  } catch (e) {
    await worker.terminate();
    lock?.release();
    throw e;
  }
  refresh();
  const mode: StorageMode = info.mode;

  const db: PgliteDb = {
    driver: 'pglite',
    mode,
    info: { package: info.package, version: info.version, extversion: info.extversion },
    query: <R>(sql: string, params?: readonly unknown[]) => exclusive(() => rpc<R>(sql, params)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      exclusive(async (section) => {
        await rpc('BEGIN');
        try {
          const out = await fn(handle(section, 'transaction'));
          await rpc('COMMIT');
          return out;
        } catch (e) {
          await rpc('ROLLBACK').catch((re: Error) => log.warn({ err: re.message }, 'rollback failed'));
          throw e;
        }
      }),
    session: <T>(fn: (conn: Queryable) => Promise<T>) =>
      exclusive(async (section) => {
        try {
          return await fn(handle(section, 'session'));
        } catch (e) {
          // One connection for everyone: do not hand the next caller an open transaction or a
          // lock that fn left behind (the pg driver drops such a connection instead).
          await rpc('ROLLBACK').then(() => rpc('SELECT pg_advisory_unlock_all()')).catch((re: Error) => log.warn({ err: re.message }, 'session cleanup failed'));
          throw e;
        }
      }),
    // Liveness without a round trip: a ping queued behind a long batch would time out /readyz.
    ping: async () => stopped === undefined,
    close() {
      // Idempotent: a second call waits for the first.
      closed ??= stopped
        ? Promise.resolve()
        : exclusive(async () => {
            closing = true;
            await send({ id: nextId++, op: 'close' });
          }).then(() => worker.terminate().then(() => lock?.release()));
      return closed;
    },
    async terminate() {
      await worker.terminate();
    },
  };
  return db;
}

function noop(): void {}

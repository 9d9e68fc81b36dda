import { join, resolve } from 'node:path';
import type { Db } from './db.js';
import { migrate } from './migrate.js';
import { openPg } from './pg-driver.js';
import { openPglite } from './pglite-driver.js';
import { applyTimescalePolicies, startJobRunner } from './timescale-policies.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Config } from '../config/schema.js';
import { componentLogger, maskUrl, type Logger } from '../core/log.js';

export interface OpenStorageOptions {
  config: Pick<Config, 'dataDir' | 'database'>;
  logger: Logger;
  /** Schedules the embedded TimescaleDB jobs; the system clock unless a test passes one. */
  clock?: Clock;
  /** Embedded only: false forces plain PostgreSQL mode (tests, or a broken extension). */
  timescale?: boolean;
}

/**
 * The storage the gateway runs on: PostgreSQL/TimescaleDB when database.url is set, embedded
 * PGlite (TimescaleDB) in a worker thread under {dataDir}/pglite otherwise. Migrates, applies
 * the TimescaleDB policies from the configuration, and says in the log which mode is active.
 */
export async function openStorage(opts: OpenStorageOptions): Promise<Db> {
  const log = componentLogger(opts.logger, 'storage');
  const cfg = opts.config.database;
  const db = cfg.url
    ? await openPg({ url: cfg.url, poolSize: cfg.poolSize, logger: log })
    : await openPglite({ dataDir: resolve(join(opts.config.dataDir, 'pglite')), logger: log, timescale: opts.timescale ?? true });
  try {
    await migrate(db, log);
    if (db.mode === 'timescaledb') {
      await applyTimescalePolicies(db, { chunkInterval: cfg.chunkInterval, compressAfter: cfg.compressAfter, retainFor: cfg.retainFor }, log);
    }
  } catch (e) {
    await db.close().catch((ce: Error) => log.warn({ err: ce.message }, 'closing storage after a failed start'));
    throw e;
  }
  const where = cfg.url ? { url: maskUrl(cfg.url) } : { dir: join(opts.config.dataDir, 'pglite') };
  log.info({ mode: db.mode, driver: db.driver, ...where }, `storage mode: ${db.mode} (driver ${db.driver})`);
  if (db.mode === 'postgres') log.warn('TimescaleDB is not active: readings are a plain table (no compression, retention or continuous aggregates)');
  if (db.driver !== 'pglite' || db.mode !== 'timescaledb') return db;

  const jobs = startJobRunner({ db, logger: log, clock: opts.clock ?? systemClock });
  return {
    ...db,
    async close() {
      jobs.stop();
      await db.close();
    },
  };
}

/**
 * For tests (here and in other areas): a migrated Db in each storage mode, cleaned up by the
 * test's teardown. `storageModes` runs one suite against both: plain PostgreSQL (Debian's
 * PostgreSQL has no TimescaleDB) through node-postgres, and embedded PGlite with TimescaleDB.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from './db.js';
import { migrate, migrationsDir } from './migrate.js';
import { openPg } from './pg-driver.js';
import { openPglite, type PgliteDb } from './pglite-driver.js';
import { createLogger, type Logger } from '../core/log.js';
import { freshDatabase } from '../../test/helpers/postgres.js';

export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Silent unless CITYOPS_TEST_LOG names a level. */
export function testLogger(): Logger {
  return createLogger({ level: process.env.CITYOPS_TEST_LOG ?? 'silent' });
}

/** A temp dir removed at teardown. */
export function tempDir(t: Teardown, prefix = 'cityops-storage-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A migrations dir holding only the files whose names start with one of `prefixes` (e.g. `001_`). */
export function migrationsSubset(t: Teardown, prefixes: string[]): string {
  const dir = tempDir(t, 'cityops-migrations-');
  for (const f of readdirSync(migrationsDir)) if (prefixes.some((p) => f.startsWith(p))) copyFileSync(join(migrationsDir, f), join(dir, f));
  return dir;
}

/** A new database in the shared test cluster. The caller adds `t.teardown(stopSharedPostgres)` once per file. */
export async function postgresTestDb(t: Teardown, opts: { migrations?: string | false } = {}): Promise<Db> {
  const fresh = await freshDatabase();
  const db = await openPg({ url: fresh.url, poolSize: 4, logger: testLogger() });
  t.teardown(async () => {
    await db.close();
    await fresh.drop();
  });
  if (opts.migrations !== false) await migrate(db, testLogger(), opts.migrations ?? migrationsDir);
  return db;
}

/** Embedded PGlite (TimescaleDB unless `timescale: false`), in memory unless given a dataDir. */
export async function pgliteTestDb(t: Teardown, opts: { migrations?: string | false; timescale?: boolean; dataDir?: string } = {}): Promise<PgliteDb> {
  const dataDir = opts.dataDir ?? 'memory://';
  const db = await openPglite({ dataDir, logger: testLogger(), timescale: opts.timescale ?? true });
  t.teardown(() => db.close());
  if (opts.migrations !== false) await migrate(db, testLogger(), opts.migrations ?? migrationsDir);
  return db;
}

export const storageModes: { name: string; open(t: Teardown, opts?: { migrations?: string | false }): Promise<Db> }[] = [
  { name: 'postgres (pg)', open: postgresTestDb },
  { name: 'timescaledb (pglite)', open: pgliteTestDb },
];

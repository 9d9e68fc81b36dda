import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Queryable } from './db.js';
import { splitSql } from './sql-split.js';
import type { Logger } from '../core/log.js';

/**
 * Migrations are SQL files in gateway/storage/migrations, applied in name order, once each:
 * `NNN_name.sql` always, and `NNN_name.timescale.sql` right after it when TimescaleDB is active.
 * Each area owns its own numbered file.
 *
 * - A plain file runs in one transaction together with its schema_migrations row: all or nothing.
 * - A `.timescale.sql` file runs statement by statement outside any transaction, because some
 *   TimescaleDB statements refuse a transaction block (continuous aggregates created WITH DATA,
 *   refresh_continuous_aggregate). A failure part-way leaves the earlier statements applied and
 *   the file unrecorded, so the next start runs it again: write its statements to be re-runnable
 *   (IF NOT EXISTS, `if_not_exists => true`).
 *
 * Several gateway processes may share one database and start together: the whole run holds a
 * session-level advisory lock on one dedicated connection (not a pooled query, whose lock would
 * land on whichever connection ran it), so the second process waits and then finds every file
 * recorded.
 */
export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  id: string;
  timescale: boolean;
  sql: string;
}

export function listMigrations(mode: Db['mode'], dir = migrationsDir): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort(byMigrationOrder);
  const out: Migration[] = [];
  for (const f of files) {
    const timescale = f.endsWith('.timescale.sql');
    if (timescale && mode !== 'timescaledb') continue;
    out.push({ id: f.replace(/\.sql$/, ''), timescale, sql: readFileSync(join(dir, f), 'utf8') });
  }
  return out;
}

/** By stem, then the plain file before its `.timescale.sql` companion. */
function byMigrationOrder(a: string, b: string): number {
  const stem = (f: string) => f.replace(/(\.timescale)?\.sql$/, '');
  const sa = stem(a);
  const sb = stem(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.endsWith('.timescale.sql') ? 1 : -1;
}

/** "city" in ASCII: the key every gateway process takes while migrating. */
export const MIGRATION_LOCK_KEY = 0x63697479;

export async function migrate(db: Db, logger: Logger, dir = migrationsDir): Promise<string[]> {
  const migrations = listMigrations(db.mode, dir);
  return db.session(async (conn) => {
    await conn.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
      const done = new Set((await conn.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
      const applied: string[] = [];
      for (const m of migrations) {
        if (done.has(m.id)) continue;
        try {
          if (m.timescale) await applyOutsideTransaction(conn, m);
          else await applyInTransaction(conn, m, logger);
        } catch (e) {
          throw new Error(`migration ${m.id} failed: ${(e as Error).message}`, { cause: e });
        }
        applied.push(m.id);
        logger.info({ migration: m.id }, 'migration applied');
      }
      return applied;
    } finally {
      // A dead connection has released the lock already; keep the original error.
      await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch((e: Error) => logger.warn({ err: e.message }, 'migration unlock failed'));
    }
  });
}

async function applyInTransaction(conn: Queryable, m: Migration, logger: Logger): Promise<void> {
  await conn.query('BEGIN');
  try {
    for (const stmt of splitSql(m.sql)) await conn.query(stmt);
    await conn.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
    await conn.query('COMMIT');
  } catch (e) {
    await conn.query('ROLLBACK').catch((re: Error) => logger.warn({ err: re.message, migration: m.id }, 'rollback failed'));
    throw e;
  }
}

async function applyOutsideTransaction(conn: Queryable, m: Migration): Promise<void> {
  for (const stmt of splitSql(m.sql)) await conn.query(stmt);
  await conn.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
}

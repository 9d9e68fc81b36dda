import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';
import type { Logger } from '../core/log.js';

/**
 * Migrations are SQL files in gateway/storage/migrations, applied in name order, once each:
 * `NNN_name.sql` always, and `NNN_name.timescale.sql` right after it when TimescaleDB is active.
 * Each area owns its own numbered file. An advisory lock keeps two gateways from migrating at
 * once (several processes may share one database).
 */
export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  id: string;
  sql: string;
}

export function listMigrations(mode: Db['mode'], dir = migrationsDir): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const f of files) {
    const isTimescale = f.endsWith('.timescale.sql');
    if (isTimescale && mode !== 'timescaledb') continue;
    out.push({ id: f.replace(/\.sql$/, ''), sql: readFileSync(join(dir, f), 'utf8') });
  }
  return out;
}

const LOCK_KEY = 0x636974796f7073; // "cityops"

export async function migrate(db: Db, logger: Logger, dir = migrationsDir): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    const done = new Set((await tx.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    for (const m of listMigrations(db.mode, dir)) {
      if (done.has(m.id)) continue;
      await tx.query(m.sql);
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      applied.push(m.id);
      logger.info({ migration: m.id }, 'migration applied');
    }
  });
  return applied;
}

import pg from 'pg';
import type { Db, Queryable, QueryResult, StorageMode } from './db.js';
import type { Logger } from '../core/log.js';

// int8 (COUNT(*), bigint ids) as JS numbers: every bigint we store fits in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// numeric as number (aggregates over double precision return numeric for some functions).
pg.types.setTypeParser(1700, (v) => Number(v));

export interface PgDriverOptions {
  url: string;
  poolSize: number;
  logger: Logger;
  /** Statement timeout for API queries; ingest batches are not limited by it. */
  statementTimeoutMs?: number;
}

/** node-postgres pool behind the Db interface. */
export async function openPg(opts: PgDriverOptions): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    application_name: 'cityops-gateway',
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', (err) => opts.logger.warn({ err: err.message }, 'idle database connection lost'));
  const mode = await detectMode(pool);
  const db: Db = {
    driver: 'pg',
    mode,
    query: (sql, params) => runQuery(pool, sql, params),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = { query: (sql, params) => runQuery(client, sql, params) };
        const out = await fn(tx);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch((re: Error) => opts.logger.warn({ err: re.message }, 'rollback failed'));
        throw e;
      } finally {
        client.release();
      }
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => pool.end(),
  };
  return db;
}

async function runQuery<R>(on: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
  const r = await on.query(sql, params as unknown[] | undefined);
  return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
}

/** TimescaleDB mode when the extension is installed or can be created; plain PostgreSQL otherwise. */
async function detectMode(pool: pg.Pool): Promise<StorageMode> {
  const available = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'timescaledb'`);
  if ((available.rows[0]?.n ?? 0) === 0) return 'postgres';
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return 'timescaledb';
  } catch {
    // Listed but not loadable (not in shared_preload_libraries): run as plain PostgreSQL.
    return 'postgres';
  }
}

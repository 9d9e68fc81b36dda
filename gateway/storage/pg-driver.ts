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
}

/** node-postgres pool behind the Db interface. */
export async function openPg(opts: PgDriverOptions): Promise<Db> {
  const log = opts.logger;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    application_name: 'cityops-gateway',
  });
  // An idle client losing its connection (server restart) must not crash the process; the
  // pool drops it and the next query opens a fresh one.
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection lost'));

  /** A checked-out client, guarded: a connection dying while we hold it must not crash us. */
  async function withClient<T>(fn: (client: pg.PoolClient) => Promise<T>, onError: (client: pg.PoolClient, e: unknown) => Promise<boolean>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    const onClientError = (err: Error) => {
      broken = err;
      log.warn({ err: err.message }, 'database connection lost while in use');
    };
    client.on('error', onClientError);
    let destroy = false;
    try {
      return await fn(client);
    } catch (e) {
      destroy = broken !== undefined || (await onError(client, e));
      throw e;
    } finally {
      client.removeListener('error', onClientError);
      // release(true) destroys a connection in an unknown state instead of pooling it.
      client.release(destroy || broken !== undefined ? true : undefined);
    }
  }

  let mode: StorageMode;
  try {
    mode = await detectMode(pool);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const db: Db = {
    driver: 'pg',
    mode,
    query: (sql, params) => runQuery(pool, sql, params),
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return withClient(
        async (client) => {
          await client.query('BEGIN');
          const out = await fn({ query: (sql, params) => runQuery(client, sql, params) });
          await client.query('COMMIT');
          return out;
        },
        async (client) => {
          try {
            await client.query('ROLLBACK');
            return false;
          } catch (re) {
            log.warn({ err: (re as Error).message }, 'rollback failed; dropping the connection');
            return true;
          }
        },
      );
    },
    session<T>(fn: (conn: Queryable) => Promise<T>): Promise<T> {
      // After a failure we cannot know what fn left behind (locks, an open transaction).
      return withClient((client) => fn({ query: (sql, params) => runQuery(client, sql, params) }), async () => true);
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

/**
 * TimescaleDB mode when the extension is installed or can be created; plain PostgreSQL
 * otherwise. Two gateways starting at once may race on CREATE EXTENSION: the loser looks again.
 */
async function detectMode(pool: pg.Pool): Promise<StorageMode> {
  const installed = async () => (await pool.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`)).rowCount === 1;
  if (await installed()) return 'timescaledb';
  const available = await pool.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`);
  if (available.rowCount === 0) return 'postgres';
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return 'timescaledb';
  } catch {
    // Listed but not loadable (not in shared_preload_libraries, no privilege), or created
    // concurrently by another gateway.
    return (await installed()) ? 'timescaledb' : 'postgres';
  }
}

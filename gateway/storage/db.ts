/**
 * The storage interface every other module uses. Two drivers implement it: node-postgres
 * against PostgreSQL/TimescaleDB (`DATABASE_URL`) and embedded PGlite (with TimescaleDB) in a
 * worker thread. Nothing outside gateway/storage imports a driver directly.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export type StorageMode = 'timescaledb' | 'postgres';
export type StorageDriver = 'pg' | 'pglite';

export interface Db extends Queryable {
  readonly driver: StorageDriver;
  /** Detected at start: whether the TimescaleDB extension is available and in use. */
  readonly mode: StorageMode;
  /**
   * Runs fn inside BEGIN/COMMIT on one connection; rolls back when it throws. Inside fn use
   * `tx` only: on the embedded driver `db.query` from inside fn would wait for fn (it throws).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs fn on one dedicated connection outside any transaction: session-level advisory locks,
   * and statements that refuse a transaction block (some TimescaleDB calls). fn must leave the
   * connection as it found it (unlock what it locked, no open transaction).
   */
  session<T>(fn: (conn: Queryable) => Promise<T>): Promise<T>;
  /** Cheap liveness check for /readyz; false once the embedded database worker has died. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Whether a failed write is worth retrying (the database is down, restarting, overloaded, or
 * the transaction lost a race) rather than a statement that will fail the same way every time
 * (SQLSTATE classes 22 and 23: bad data; 42, 2B, 0A: the schema or a feature). Errors without
 * a SQLSTATE (connection refused, a stopped embedded worker) are retryable.
 */
export function isRetryableDbError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return true;
  const { name, code } = e as { name?: unknown; code?: unknown };
  if (name === 'GatewayError') return code === 'GW_ERR_NOT_READY';
  const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E') ? code : undefined;
  if (!sqlstate) return true;
  return !['22', '23', '42', '2B', '0A'].includes(sqlstate.slice(0, 2));
}

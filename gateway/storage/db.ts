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
  /** Runs fn inside BEGIN/COMMIT on one connection; rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Cheap liveness check for /readyz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

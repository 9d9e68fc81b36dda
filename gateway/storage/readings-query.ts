import type { Db, Queryable } from './db.js';

/**
 * Reading history, bucketed history, latest values and dead letters. Times come back as ISO
 * strings with microseconds (formatted by the database: a JS Date would keep milliseconds).
 *
 * Buckets are aligned to UTC and a bucket is returned when it overlaps [from, to), with the
 * aggregates of the whole bucket. In TimescaleDB mode they come from the continuous
 * aggregates (1m from readings_1m; 1h, and 1d re-bucketed, from readings_1h) with real-time
 * aggregation covering the not yet materialized part; in plain PostgreSQL mode from the raw
 * table with date_bin.
 */
export type Bucket = '1m' | '1h' | '1d';

export interface ReadingsQuery {
  deviceId: string;
  metric?: string;
  from: string | Date;
  to: string | Date;
  limit: number;
  /** Raw rows only: oldest first (default) or newest first. */
  order?: 'asc' | 'desc';
}

export interface RawReading {
  time: string;
  metric: string;
  value: number | null;
  state: string | null;
  seq: number | null;
}

export interface BucketReading {
  /** Start of the bucket. */
  time: string;
  metric: string;
  avg: number | null;
  min: number | null;
  max: number | null;
  /** Every reading in the bucket, numeric or not. */
  count: number;
  last: number | null;
  lastState: string | null;
}

const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const ts = (t: string | Date) => (typeof t === 'string' ? t : t.toISOString());
const widths: Record<Bucket, string> = { '1m': '1 minute', '1h': '1 hour', '1d': '1 day' };

export function queryReadings(db: Db, q: ReadingsQuery & { bucket?: undefined }): Promise<RawReading[]>;
export function queryReadings(db: Db, q: ReadingsQuery & { bucket: Bucket }): Promise<BucketReading[]>;
export function queryReadings(db: Db, q: ReadingsQuery & { bucket?: Bucket }): Promise<RawReading[] | BucketReading[]>;
export async function queryReadings(db: Db, q: ReadingsQuery & { bucket?: Bucket }): Promise<RawReading[] | BucketReading[]> {
  const params: unknown[] = [q.deviceId, ts(q.from), ts(q.to), q.limit];
  const metric = q.metric === undefined ? '' : `AND metric = $${params.push(q.metric)}`;
  if (!q.bucket) {
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const r = await db.query<RawReading>(
      `SELECT ${iso('time')} AS time, metric, value, state, seq FROM readings
       WHERE device_id = $1 ${metric} AND time >= $2::timestamptz AND time < $3::timestamptz
       ORDER BY readings.time ${dir}, metric LIMIT $4`,
      params,
    );
    return r.rows;
  }
  const sql = (await hasAggregates(db)) ? aggregateSql(q.bucket, metric) : rawBucketSql(q.bucket, metric);
  const r = await db.query<BucketReading>(sql, params);
  return r.rows;
}

const bucketCols = (b: string) =>
  `${iso(b)} AS time, metric, avg, min, max, count, last, last_state AS "lastState"`;

function aggregateSql(bucket: Bucket, metric: string): string {
  const w = `INTERVAL '${widths[bucket]}'`;
  const range = `device_id = $1 ${metric} AND bucket >= time_bucket(${w}, $2::timestamptz) AND bucket < $3::timestamptz`;
  if (bucket !== '1d') {
    const view = bucket === '1m' ? 'readings_1m' : 'readings_1h';
    return `SELECT ${bucketCols('bucket')} FROM (
      SELECT bucket, metric, sum / nullif(value_count, 0) AS avg, min, max, count, last, last_state FROM ${view} WHERE ${range}
    ) a ORDER BY bucket, metric LIMIT $4`;
  }
  // Days from hours: exact, because the hourly rows carry sum and value_count, not only avg.
  return `SELECT ${bucketCols('day')} FROM (
    SELECT time_bucket(${w}, bucket) AS day, metric, sum(sum) / nullif(sum(value_count), 0) AS avg,
           min(min) AS min, max(max) AS max, sum(count)::int8 AS count,
           last(last, bucket) AS last, last(last_state, bucket) AS last_state
    FROM readings_1h
    WHERE device_id = $1 ${metric} AND bucket >= time_bucket(${w}, $2::timestamptz) AND bucket < $3::timestamptz + ${w}
    GROUP BY day, metric
  ) a WHERE day < $3::timestamptz ORDER BY day, metric LIMIT $4`;
}

function rawBucketSql(bucket: Bucket, metric: string): string {
  const w = `INTERVAL '${widths[bucket]}'`;
  const b = `date_bin(${w}, time, timestamptz 'epoch')`;
  return `SELECT ${bucketCols('b')} FROM (
    SELECT ${b} AS b, metric, avg(value) AS avg, min(value) AS min, max(value) AS max, count(*) AS count,
           (array_agg(value ORDER BY time DESC))[1] AS last, (array_agg(state ORDER BY time DESC))[1] AS last_state
    FROM readings
    WHERE device_id = $1 ${metric} AND time >= date_bin(${w}, $2::timestamptz, timestamptz 'epoch')
      AND time < $3::timestamptz + ${w} AND ${b} < $3::timestamptz
    GROUP BY b, metric
  ) a ORDER BY b, metric LIMIT $4`;
}

/** Whether the continuous aggregates exist (TimescaleDB mode, and created without error). */
const aggregates = new WeakMap<Db, Promise<boolean>>();
function hasAggregates(db: Db): Promise<boolean> {
  if (db.mode !== 'timescaledb') return Promise.resolve(false);
  let p = aggregates.get(db);
  if (!p) {
    p = db
      .query<{ ok: boolean }>(`SELECT to_regclass('readings_1m') IS NOT NULL AND to_regclass('readings_1h') IS NOT NULL AS ok`)
      .then((r) => r.rows[0]?.ok === true);
    // A failed look-up is asked again next time rather than cached.
    p.catch(() => aggregates.delete(db));
    aggregates.set(db, p);
  }
  return p;
}

export interface LatestReading {
  metric: string;
  time: string;
  value: number | null;
  state: string | null;
  seq: number | null;
}

export async function latestReadings(db: Queryable, deviceId: string): Promise<LatestReading[]> {
  const r = await db.query<LatestReading>(
    `SELECT metric, ${iso('time')} AS time, value, state, seq FROM device_latest WHERE device_id = $1 ORDER BY metric`,
    [deviceId],
  );
  return r.rows;
}

export interface DeadLetter {
  id: number;
  receivedAt: string;
  source: string;
  deviceId: string | null;
  adapter: string | null;
  reasonCode: string;
  reason: string;
  payload: Buffer;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  /** Pass as `after` for the next page; null when this page was the last. */
  nextCursor: number | null;
}

/** Oldest first, after the cursor (a dead-letter id). */
/** `vendor`: only dead letters of that vendor's devices (a vendor key sees nothing else). */
export async function listDeadLetters(db: Queryable, q: { after?: number; limit: number; deviceId?: string; source?: string; vendor?: string }): Promise<DeadLetterPage> {
  const params: unknown[] = [q.after ?? 0, q.limit + 1];
  const where = ['id > $1'];
  if (q.deviceId !== undefined) where.push(`device_id = $${params.push(q.deviceId)}`);
  if (q.source !== undefined) where.push(`source = $${params.push(q.source)}`);
  if (q.vendor !== undefined) where.push(`device_id IN (SELECT id FROM devices WHERE vendor = $${params.push(q.vendor)})`);
  const r = await db.query<Omit<DeadLetter, 'payload'> & { payload: Uint8Array }>(
    `SELECT id, ${iso('received_at')} AS "receivedAt", source, device_id AS "deviceId", adapter,
            reason_code AS "reasonCode", reason, payload
     FROM dead_letters WHERE ${where.join(' AND ')} ORDER BY id LIMIT $2`,
    params,
  );
  const more = r.rows.length > q.limit;
  const rows = more ? r.rows.slice(0, q.limit) : r.rows;
  // The embedded driver returns Uint8Array (structured clone drops Buffer); give callers one type.
  const items = rows.map((d) => ({ ...d, payload: Buffer.from(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength) }));
  return { items, nextCursor: more ? (items[items.length - 1]?.id ?? null) : null };
}

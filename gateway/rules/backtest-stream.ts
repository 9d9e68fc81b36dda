import type { Db, Queryable } from '../storage/db.js';
import type { EngineReading } from '../../rules/engine/types.js';
import { lastTimeUs, PAGE_COLUMNS, PageDecoder, type Pair, type RawPage } from './backtest-page.js';

/**
 * Stored readings of some devices and metrics over [from, to), in (time, device, metric) order,
 * page by page, for backtests. Two ways to read them, chosen by how much of the data is in scope:
 *
 * - **By time** (most of the (device, metric) pairs): one ordered walk of the readings_time index
 *   (migration 010) over a window, filtered to the pairs in scope. Rows of one instant come in
 *   storage order and are put in pair order here. A page is the window, capped by a LIMIT for
 *   bursts; a capped page keeps only the instants it has completely, the rest come again.
 * - **By pair** (a few devices of many): each pair probed through the key (device_id, metric,
 *   time) over the window (the per-pair LIMIT keeps the planner on the key: a hash join over the
 *   whole table would make each page cost the table), merged and cut by the database. Pages
 *   continue by keyset on (time, pair ordinal), never OFFSET.
 *
 * Either way a window adapts to fill pages of about `pageRows`, a page travels as one row of
 * packed columns (backtest-page.ts), and the next page is fetched while the caller works on the
 * current one. Pairs are sorted by device then metric in code-point order, so the pair order is
 * the (device, metric) order whatever the database collation.
 */
export interface StreamOptions {
  db: Db;
  deviceIds: readonly string[];
  /** Only readings of these metrics; null or absent: every metric. */
  metrics?: readonly string[] | null;
  fromMs: number;
  toMs: number;
  /** Readings per page (default 50,000). */
  pageRows?: number;
  /** Force a way of reading (tests); default: chosen by the share of pairs in scope. */
  by?: 'time' | 'pair';
}

export interface ReadingPage {
  /** Valid until the next page is asked for: the objects are reused. */
  readings: readonly EngineReading[];
  /** Where the stream is, epoch ms: everything before it has been returned. */
  throughMs: number;
}

/** By time when at least this share of the pairs that have the metrics is in scope. */
const TIME_SCAN_SHARE = 0.25;

const between = `time >= timestamptz 'epoch' + $1::int8 * interval '1 microsecond'
           AND time < timestamptz 'epoch' + $2::int8 * interval '1 microsecond'`;

const TIME_SQL = (multiMetric: boolean) => `
SELECT ${PAGE_COLUMNS},
       string_agg(device_id, $6) AS d${multiMetric ? ',\n       string_agg(metric, $6) AS m' : ''}
  FROM (SELECT time, device_id, metric, value, state, seq FROM readings
         WHERE ${between}
           AND device_id = ANY($4::text[]) AND metric = ANY($5::text[])
         ORDER BY time
         LIMIT $3) page`;

const PAIR_SQL = `
WITH p AS (
  SELECT d, m, (o - 1)::int AS i FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS p(d, m, o)
)
SELECT ${PAGE_COLUMNS},
       string_agg(int4send(i), ''::bytea) AS p
  FROM (SELECT r.time, p.i, r.value, r.state, r.seq
          FROM p CROSS JOIN LATERAL (
            SELECT time, value, state, seq FROM readings
             WHERE device_id = p.d AND metric = p.m AND ${between}
               -- The keyset before the per-pair LIMIT: rows already returned must not use it up.
               AND (time, p.i) > (timestamptz 'epoch' + $1::int8 * interval '1 microsecond', $6::int)
             ORDER BY time
             LIMIT $3
          ) r
         ORDER BY r.time, p.i
         LIMIT $3) page`;

interface PageRow extends RawPage {
  d?: string | null;
  m?: string | null;
  p?: Uint8Array | null;
}

/**
 * The (device, metric) pairs that have readings, from device_latest (one row per pair ever
 * written), sorted. Names are the caller's own string objects where it passed them: the
 * engine's map lookups compare them by identity first.
 */
export async function readingPairs(db: Queryable, deviceIds: readonly string[], metrics: readonly string[] | null = null): Promise<Pair[]> {
  const r = await db.query<{ device_id: string; metric: string }>('SELECT device_id, metric FROM device_latest WHERE device_id = ANY($1::text[]) AND ($2::text[] IS NULL OR metric = ANY($2::text[]))', [deviceIds, metrics]);
  const own = new Map([...deviceIds, ...(metrics ?? [])].map((x) => [x, x]));
  const pairs = r.rows.map((x) => ({ deviceId: own.get(x.device_id) ?? x.device_id, metric: own.get(x.metric) ?? x.metric }));
  return pairs.sort((a, b) => cmp(a.deviceId, b.deviceId) || cmp(a.metric, b.metric));
}

/** Each device's newest reading time before `fromMs` (epoch ms), for no-data watches at the start of a backtest. */
export async function lastSeenBefore(db: Queryable, deviceIds: readonly string[], fromMs: number): Promise<Map<string, number>> {
  const r = await db.query<{ device_id: string; last_us: number }>(
    `SELECT l.device_id, max((extract(epoch FROM (
        SELECT time FROM readings r WHERE r.device_id = l.device_id AND r.metric = l.metric
           AND r.time < timestamptz 'epoch' + $2::int8 * interval '1 microsecond' ORDER BY time DESC LIMIT 1
      )) * 1000000)::int8) AS last_us
       FROM device_latest l WHERE l.device_id = ANY($1::text[]) GROUP BY l.device_id`,
    [deviceIds, fromMs * 1000],
  );
  const out = new Map<string, number>();
  for (const x of r.rows) if (x.last_us !== null) out.set(x.device_id, Math.floor(x.last_us / 1000));
  return out;
}

interface Cursor {
  us: number;
  /** Pair ordinal of the last row returned at `us` (by pair), -1: none yet. */
  i: number;
}

/**
 * One way of reading: fetches a page from the cursor up to `hiUs`, at most `limit` rows. One
 * round trip when it can: the next page is asked for before the caller works on this one, and
 * a chain of statements would only move on when the caller is done.
 */
interface Source {
  limit: number;
  fetch(db: Db, from: Cursor, hiUs: number): Promise<PageRow>;
  pairOf(row: PageRow): Int32Array;
  /** After a page capped at `limit`: where to go on, and the readings before `keepBeforeUs` to keep. */
  cut(row: PageRow, pairOf: Int32Array): { next: Cursor; keepBeforeUs: number };
}

export async function* streamReadings(o: StreamOptions): AsyncGenerator<ReadingPage> {
  if (o.toMs <= o.fromMs) return;
  const metrics = o.metrics ?? null;
  const pairs = await readingPairs(o.db, o.deviceIds, metrics);
  if (pairs.length === 0) return;
  const target = o.pageRows ?? 50_000;
  const source = (await useTimeScan(o, pairs, metrics)) ? timeScan(pairs, target) : pairProbe(pairs, target);
  const decoder = new PageDecoder(pairs);
  const endUs = o.toMs * 1000;
  let cursor: Cursor = { us: o.fromMs * 1000, i: -1 };
  let spanUs = Math.max(1000, Math.ceil((endUs - cursor.us) / 64));

  const fetchPage = async (from: Cursor, span: number) => {
    const hi = Math.min(endUs, from.us + span);
    return { row: await source.fetch(o.db, from, hi), from, hi };
  };

  let next: ReturnType<typeof fetchPage> | undefined = fetchPage(cursor, spanUs);
  while (next) {
    const { row, from, hi } = await next;
    const n = row.n;
    const pairOf = n > 0 ? source.pairOf(row) : new Int32Array(0);
    let keepBeforeUs = Infinity;
    let throughUs = hi;
    if (n >= source.limit) {
      // The window held more: go on from where this page stops, with a narrower window.
      const c = source.cut(row, pairOf);
      cursor = c.next;
      keepBeforeUs = c.keepBeforeUs;
      throughUs = c.next.us;
      spanUs = Math.max(1000, Math.floor(spanUs / 2));
    } else {
      cursor = { us: hi, i: -1 };
      // Aim the next window at about `target` rows, growing at most 4x at a time.
      const ideal = n > 0 ? ((hi - from.us) * target) / n : spanUs * 4;
      spanUs = Math.max(1000, Math.min(spanUs * 4, Math.floor(ideal)));
    }
    next = cursor.us < endUs ? fetchPage(cursor, spanUs) : undefined;
    // Holding the next fetch's promise while the caller works: a failure there surfaces at its await.
    next?.catch(() => undefined);
    // Let the driver send it before the caller's synchronous work (it goes out on a later tick),
    // so the database works on the next page meanwhile.
    if (next) await new Promise((resolve) => setImmediate(resolve));
    const readings = n > 0 ? decoder.decode(row, pairOf, keepBeforeUs) : [];
    if (readings.length > 0 || !next) yield { readings, throughMs: Math.floor(throughUs / 1000) };
  }
}

async function useTimeScan(o: StreamOptions, pairs: readonly Pair[], metrics: readonly string[] | null): Promise<boolean> {
  if (o.by) return o.by === 'time';
  const r = await o.db.query<{ n: number }>('SELECT count(*)::int AS n FROM device_latest WHERE $1::text[] IS NULL OR metric = ANY($1::text[])', [metrics]);
  return pairs.length >= TIME_SCAN_SHARE * (r.rows[0]?.n ?? 0);
}

function timeScan(pairs: readonly Pair[], target: number): Source {
  const sep = separatorFor(pairs);
  if (sep === undefined) return pairProbe(pairs, target);
  const devices = [...new Set(pairs.map((p) => p.deviceId))];
  const metrics = [...new Set(pairs.map((p) => p.metric))];
  const multi = metrics.length > 1;
  const index = new Map<string, number | Map<string, number>>();
  pairs.forEach((p, i) => {
    if (!multi) index.set(p.deviceId, i);
    else {
      let m = index.get(p.deviceId) as Map<string, number> | undefined;
      if (!m) index.set(p.deviceId, (m = new Map()));
      m.set(p.metric, i);
    }
  });
  const sql = TIME_SQL(multi);
  // An instant holds at most one reading per pair: a capped page always has more than one instant.
  const limit = Math.max(4 * target, pairs.length + 1);
  return {
    limit,
    fetch: async (db, from, hiUs) => (await db.query<PageRow>(sql, [from.us, hiUs, limit, devices, metrics, sep])).rows[0] ?? emptyPage,
    pairOf(row) {
      const ds = split(row.d, sep, row.n);
      const ms = multi ? split(row.m, sep, row.n) : null;
      const out = new Int32Array(row.n);
      for (let k = 0; k < row.n; k++) {
        const x = index.get(ds[k] as string);
        out[k] = typeof x === 'number' ? x : ms && x ? (x.get(ms[k] as string) ?? -1) : -1;
      }
      return out;
    },
    cut(row) {
      const last = lastTimeUs(row);
      return { next: { us: last, i: -1 }, keepBeforeUs: last };
    },
  };
}

function pairProbe(pairs: readonly Pair[], target: number): Source {
  const devs = pairs.map((p) => p.deviceId);
  const mets = pairs.map((p) => p.metric);
  return {
    limit: target,
    fetch: (db, from, hiUs) =>
      db.transaction(async (tx) => {
        // The page is sorted in memory, not spilled to disk (the default work_mem is 4 MB); JIT
        // compiling costs more than it saves on a query this size (measured: ~40 ms a page).
        await tx.query(`SET LOCAL work_mem = '64MB'`);
        await tx.query('SET LOCAL jit = off');
        return (await tx.query<PageRow>(PAIR_SQL, [from.us, hiUs, target, devs, mets, from.i])).rows[0] ?? emptyPage;
      }),
    pairOf(row) {
      const b = row.p;
      if (!b || b.byteLength !== row.n * 4) throw new Error('backtest page: pair column does not match the row count');
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const out = new Int32Array(row.n);
      for (let k = 0; k < row.n; k++) out[k] = v.getInt32(k * 4);
      return out;
    },
    cut(row, pairOf) {
      return { next: { us: lastTimeUs(row), i: pairOf[row.n - 1] ?? -1 }, keepBeforeUs: Infinity };
    },
  };
}

const emptyPage: PageRow = { n: 0, t: null, f: null, v: null, q: null, s: null };

/** A character in no device id and no metric, to join them with; undefined if every candidate occurs. */
function separatorFor(pairs: readonly Pair[]): string | undefined {
  return ['\n', '\t', '\u001f', '\u0001', '|'].find((c) => pairs.every((p) => !p.deviceId.includes(c) && !p.metric.includes(c)));
}

function split(s: string | null | undefined, sep: string, n: number): string[] {
  const parts = s === null || s === undefined ? [] : s.split(sep);
  if (parts.length !== n) throw new Error(`backtest page: ${parts.length} names for ${n} rows`);
  return parts;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

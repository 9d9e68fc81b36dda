import type { Db, Queryable } from '../storage/db.js';
import type { EngineReading } from '../../rules/engine/types.js';

/**
 * Stored readings of some devices over [from, to), in (time, device, metric) order, page by
 * page, for backtests.
 *
 * The readings key is (device_id, metric, time) and there is deliberately no time index (it
 * would cost ingest throughput), so a page is a time window probed per (device, metric) pair
 * through the key (the per-pair LIMIT keeps the planner on the index: a hash join over the
 * whole table would make each page cost the table), merged and cut by the database. Pages continue by keyset on (time, pair
 * ordinal) — never OFFSET — and the window adapts to fill pages of about `pageRows`. The pairs
 * are sorted by device then metric in code-point order, so the ordinal order is the
 * (device, metric) order whatever the database collation.
 *
 * A page travels as a handful of JSON arrays (one row), not one row object per reading: the
 * per-row parsing and objects of a normal result cost more than the rule evaluation.
 */
export interface StreamOptions {
  db: Db;
  deviceIds: readonly string[];
  fromMs: number;
  toMs: number;
  /** Readings per page (default 50,000). */
  pageRows?: number;
}

export interface ReadingPage {
  readings: EngineReading[];
  /** Where the stream is, epoch ms: everything before it has been returned. */
  throughMs: number;
}

const PAGE_SQL = `
WITH p AS (
  SELECT d, m, (o - 1)::int AS i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS p(d, m, o)
), page AS (
  SELECT r.time, p.i, r.value, r.state, r.seq
    FROM p CROSS JOIN LATERAL (
      SELECT time, value, state, seq FROM readings
       WHERE device_id = p.d AND metric = p.m
         AND time >= timestamptz 'epoch' + $3::int8 * interval '1 microsecond'
         AND time < timestamptz 'epoch' + $5::int8 * interval '1 microsecond'
         -- The keyset before the per-pair LIMIT: rows already returned must not use it up.
         AND (time, p.i) > (timestamptz 'epoch' + $3::int8 * interval '1 microsecond', $4::int)
       ORDER BY time
       LIMIT $6
    ) r
   ORDER BY r.time, p.i
   LIMIT $6
)
SELECT count(*)::int AS n,
       json_agg((extract(epoch FROM time) * 1000000)::int8) AS t,
       json_agg(i) AS p,
       json_agg(value) AS v,
       json_agg(state) AS s,
       json_agg(seq) AS q
  FROM page`;

interface PageRow {
  n: number;
  t: number[] | null;
  p: number[] | null;
  v: Array<number | string | null> | null;
  s: Array<string | null> | null;
  q: Array<number | null> | null;
}

/** The (device, metric) pairs that have readings, from device_latest (one row per pair ever written). */
export async function readingPairs(db: Queryable, deviceIds: readonly string[]): Promise<Array<{ deviceId: string; metric: string }>> {
  const r = await db.query<{ device_id: string; metric: string }>('SELECT device_id, metric FROM device_latest WHERE device_id = ANY($1::text[])', [deviceIds]);
  const pairs = r.rows.map((x) => ({ deviceId: x.device_id, metric: x.metric }));
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

/** Yields pages in order; the next page is fetched while the caller works on the current one. */
export async function* streamReadings(o: StreamOptions): AsyncGenerator<ReadingPage> {
  const pairs = await readingPairs(o.db, o.deviceIds);
  if (pairs.length === 0 || o.toMs <= o.fromMs) return;
  const devs = pairs.map((p) => p.deviceId);
  const mets = pairs.map((p) => p.metric);
  const target = o.pageRows ?? 50_000;
  const endUs = o.toMs * 1000;
  let cursor = { us: o.fromMs * 1000, i: -1 };
  let spanUs = Math.max(1000, Math.ceil((endUs - cursor.us) / 64));

  const fetchPage = async (from: { us: number; i: number }, span: number) => {
    const hi = Math.min(endUs, from.us + span);
    const r = await o.db.transaction(async (tx) => {
      // The page is sorted in memory, not spilled to disk (the default work_mem is 4 MB); JIT
      // compiling costs more than it saves on a query this size (measured: ~40 ms a page).
      await tx.query(`SET LOCAL work_mem = '64MB'`);
      await tx.query('SET LOCAL jit = off');
      return tx.query<PageRow>(PAGE_SQL, [devs, mets, from.us, from.i, hi, target]);
    });
    return { row: r.rows[0], hi };
  };

  let next: ReturnType<typeof fetchPage> | undefined = fetchPage(cursor, spanUs);
  while (next) {
    const { row, hi } = await next;
    const n = row?.n ?? 0;
    const full = n >= target;
    const readings = n > 0 && row ? decode(row, devs, mets) : [];
    const last = readings[readings.length - 1];
    // A full page: the window held more, continue after its last row with a narrower window.
    if (full && last && row) {
      cursor = { us: last.timeUs, i: row.p?.[n - 1] ?? 0 };
      spanUs = Math.max(1000, Math.floor(spanUs / 2));
    } else {
      cursor = { us: hi, i: -1 };
      if (n < target / 4) spanUs *= 2;
    }
    next = cursor.us < endUs ? fetchPage(cursor, spanUs) : undefined;
    // Holding the next fetch's promise while the caller works: a failure there surfaces at its await.
    next?.catch(() => undefined);
    if (readings.length > 0 || !next) yield { readings, throughMs: Math.floor((full ? cursor.us : hi) / 1000) };
  }
}

function decode(row: PageRow, devs: readonly string[], mets: readonly string[]): EngineReading[] {
  const n = row.n;
  const t = row.t ?? [];
  const p = row.p ?? [];
  const v = row.v ?? [];
  const s = row.s ?? [];
  const q = row.q ?? [];
  const out = new Array<EngineReading>(n);
  let sorted = true;
  for (let k = 0; k < n; k++) {
    const i = p[k] as number;
    const value = v[k];
    out[k] = {
      deviceId: devs[i] as string,
      metric: mets[i] as string,
      timeUs: t[k] as number,
      // JSON has no NaN or Infinity: PostgreSQL writes them as strings.
      value: value === null || value === undefined ? null : typeof value === 'number' ? value : Number(value),
      state: s[k] ?? null,
      seq: q[k] ?? null,
    };
    if (k > 0 && ((t[k] as number) < (t[k - 1] as number) || ((t[k] as number) === (t[k - 1] as number) && i < (p[k - 1] as number)))) sorted = false;
  }
  // json_agg keeps the subquery's order in practice; never trust it blindly.
  if (!sorted) {
    const idx = out.map((_, k) => k).sort((a, b) => (t[a] as number) - (t[b] as number) || (p[a] as number) - (p[b] as number));
    return idx.map((k) => out[k] as EngineReading);
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

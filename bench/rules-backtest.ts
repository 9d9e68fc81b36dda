/**
 * Rule backtest throughput: N stored readings (default 10 million; the issue's target is under
 * 30 s) replayed through the default `waterlogging-depth` rule as the candidate and a variant
 * (yellow at 24 cm instead of 25) as the compared version, on a throwaway PostgreSQL cluster.
 * Loading the data is not timed; `runBacktest` from start to result is.
 *
 * The data: 2,000 waterlogging gauges, one depth_cm reading a minute each, stored in time
 * order as ingest stores them. Each gauge sees a storm a day, of its own height, so some reach
 * every grade and the hysteresis and `for` timers are exercised.
 *
 *   node --import tsx bench/rules-backtest.ts [--readings N]
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { startPostgres } from '../test/helpers/postgres.js';
import { openPg } from '../gateway/storage/pg-driver.js';
import { migrate } from '../gateway/storage/migrate.js';
import type { Db } from '../gateway/storage/db.js';
import { runBacktest } from '../gateway/rules/backtest.js';
import { defaultRules } from '../rules/load.js';
import type { DeviceContext, VersionedRule } from '../rules/engine/types.js';
import type { Rule } from '../rules/schema.js';

export interface BacktestBenchResult {
  readings: number;
  seconds: number;
  /** Warning episodes the candidate raised. */
  warnings: number;
  /** Candidate episodes by peak grade. */
  perGrade: Record<string, number>;
  devices: number;
}

const DEVICES = 2000;
/** 2026-07-01T00:00:00Z: the first reading. */
const T0_MS = Date.UTC(2026, 6, 1);
const STEP_MS = 60_000;

/** Gauge i's id, block and context: ten gauges per grid block. */
export function benchDevices(count: number): DeviceContext[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `wl-${String(i).padStart(5, '0')}`,
    kind: 'waterlogging',
    blockCode: `3101170060010${String(Math.floor(i / 10)).padStart(4, '0')}`,
    tags: [],
    exercise: false,
  }));
}

/**
 * Loads `readings` depth readings (and device_latest, which backtests read for the pairs) with
 * INSERT … SELECT from generate_series, time-major like ingest writes them, then vacuums and
 * analyses. Returns the time range covered.
 */
export async function loadBenchReadings(db: Db, readings: number, log: (s: string) => void = () => undefined): Promise<{ fromMs: number; toMs: number; devices: DeviceContext[] }> {
  const devices = benchDevices(Math.min(DEVICES, readings));
  const n = devices.length;
  const steps = Math.ceil(readings / n);
  // depth: a daily storm per gauge (its peak hour and height vary by gauge), ripples of ±1 cm.
  // Peaks range from 8 to 68 cm, so the gauges spread over every grade, or none. Slices of
  // minutes, in time order, with the key maintained as ingest maintains it (a key built
  // afterwards by a sort would be more compact and better ordered than real ones are); within
  // a minute the gauges arrive in a different order each time, as over MQTT.
  log(`loading ${readings.toLocaleString('en')} readings (${n} gauges x ${steps} minutes)`);
  const slice = Math.max(1, Math.floor(1_000_000 / n));
  for (let k0 = 0; k0 < steps; k0 += slice) {
    await db.query(
      `INSERT INTO readings (time, device_id, metric, value, state, seq)
       SELECT timestamptz 'epoch' + ($3::int8 + k * $4::int8) * interval '1 millisecond',
              'wl-' || lpad(d::text, 5, '0'), 'depth_cm',
              round((greatest(0, (8 + (d * 7919 % 61)) * exp(-power(((k + d * 37) % 1440 - 720) / 120.0, 2)))
                     + sin(k * 0.7 + d) + 1)::numeric, 1)::float8,
              NULL, NULL
         FROM generate_series($6::int, least($2::int, $6::int + $7::int) - 1) AS k, generate_series(0, $1::int - 1) AS d
        WHERE k * $1::int8 + d < $5::int8
        ORDER BY k, (d * 7919 + k * 104729) % $1::int`,
      [n, steps, T0_MS, STEP_MS, readings, k0, slice],
    );
  }
  await db.query(`INSERT INTO device_latest (device_id, metric, time, value, state, seq)
                  SELECT DISTINCT ON (device_id, metric) device_id, metric, time, value, state, seq
                    FROM readings ORDER BY device_id, metric, time DESC`);
  log('vacuum analyze');
  await db.query('VACUUM (ANALYZE) readings');
  await db.query('VACUUM (ANALYZE) device_latest');
  return { fromMs: T0_MS, toMs: T0_MS + steps * STEP_MS, devices };
}

/** The default waterlogging-depth rule, and the same with yellow at 24 cm to compare against. */
export function benchRules(): { candidate: VersionedRule[]; compare: VersionedRule[] } {
  const rule = defaultRules().find((r) => r.id === 'waterlogging-depth');
  if (!rule) throw new Error('the default rule set has no waterlogging-depth rule');
  if (rule.condition.type !== 'threshold') throw new Error('waterlogging-depth is expected to be a threshold rule');
  const variant: Rule = { ...rule, condition: { ...rule.condition, thresholds: { ...rule.condition.thresholds, yellow: 24 } } };
  return { candidate: [{ rule, version: 2 }], compare: [{ rule: variant, version: 1 }] };
}

/** The timed part: one backtest over the whole range. */
export async function timeBacktest(db: Db, range: { fromMs: number; toMs: number; devices: DeviceContext[] }, log: (s: string) => void = () => undefined): Promise<BacktestBenchResult> {
  const { candidate, compare } = benchRules();
  let lastLog = 0;
  // Other work on the machine skews the time: say how busy it was.
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  log(`load average before: ${load()}`);
  const started = process.hrtime.bigint();
  const res = await runBacktest({
    db,
    devices: range.devices,
    rules: candidate,
    compare,
    fromMs: range.fromMs,
    toMs: range.toMs,
    onProgress: (p) => {
      const now = Date.now();
      if (now - lastLog < 2000) return;
      lastLog = now;
      log(`  ${p.readings.toLocaleString('en')} readings${p.estimatedTotal ? ` of ~${p.estimatedTotal.toLocaleString('en')}` : ''}`);
    },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  log(`load average after: ${load()}`);
  log(`backtest: ${res.summary}`);
  return { readings: res.readings, seconds, warnings: res.candidate.warnings.length, perGrade: { ...res.candidate.counts.peak }, devices: res.devices };
}

export async function benchBacktest(opts: { readings?: number; log?: (s: string) => void } = {}): Promise<BacktestBenchResult> {
  const readings = opts.readings ?? 10_000_000;
  const log = opts.log ?? (() => undefined);
  const cluster = await startPostgres();
  const cleanup = () => cluster.stopNow();
  process.once('exit', cleanup);
  let db: Db | undefined;
  try {
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE cityops_backtest');
    } finally {
      await admin.end();
    }
    const logger = pino({ level: 'silent' });
    db = await openPg({ url: cluster.adminUrl.replace(/\/postgres$/, '/cityops_backtest'), poolSize: 4, logger });
    await migrate(db, logger);
    const range = await loadBenchReadings(db, readings, log);
    log('timing the backtest');
    return await timeBacktest(db, range, log);
  } finally {
    await db?.close().catch(() => undefined);
    await cluster.stop().catch(() => undefined);
    cleanup();
    process.removeListener('exit', cleanup);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { readings: { type: 'string' } } });
  const readings = values.readings === undefined ? undefined : Number(values.readings);
  if (readings !== undefined && (!Number.isInteger(readings) || readings <= 0)) {
    process.stderr.write(`--readings must be a positive integer, got ${values.readings}\n`);
    process.exit(2);
  }
  const log = (s: string) => void process.stderr.write(`${s}\n`);
  // Exit handlers stop the cluster; a signal alone would skip them.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  benchBacktest({ ...(readings !== undefined ? { readings } : {}), log }).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: Error) => {
      log(e.stack ?? e.message);
      process.exit(1);
    },
  );
}

/**
 * District throughput (issue 5 §9, target ≥ 2,000 cases/s): N case messages in the real district
 * format queued on the `district` channel (not timed), then the outbox started; timed until the
 * simulator (a process of its own) holds all N unique keys. The outbox, the district link and
 * the deliveries' bookkeeping run here, on a real PostgreSQL with fsync on.
 */
import { performance } from 'node:perf_hooks';
import { systemClock } from '../gateway/core/clock.js';
import type { Config } from '../gateway/config/schema.js';
import { benchConfig, benchEnvironment, enqueueCases, pipeline } from './district-env.js';
import { Cleanup } from './lib/cleanup.js';

export interface ThroughputResult {
  cases: number;
  seconds: number;
  casesPerSecond: number;
  /** Rows the outbox recorded as delivered when the simulator held every key (the rest were being written). */
  deliveredInDb: number;
  /** Requests the simulator read, and repeats of a key it already held. */
  received: number;
  unique: number;
  duplicates: number;
  rejected: number;
  workers: number;
}

export async function benchThroughput(opts: { cleanup?: Cleanup; cases?: number; outbox?: Partial<Config['outbox']>; log?: (s: string) => void } = {}): Promise<ThroughputResult> {
  const cases = opts.cases ?? 20_000;
  const log = opts.log ?? (() => undefined);
  const cleanup = opts.cleanup ?? new Cleanup();
  try {
    const { db, sim } = await benchEnvironment(cleanup, 'throughput', log);
    const config = benchConfig(sim, opts.outbox);
    const { outbox, link } = pipeline(db, systemClock, config);
    cleanup.defer('district link', () => link.stop());
    cleanup.defer('outbox', () => outbox.stop());
    log(`throughput: queueing ${cases.toLocaleString('en-US')} cases`);
    await enqueueCases(db, outbox, config, 0, cases, systemClock.now());
    await db.query('VACUUM ANALYZE outbox');

    log(`throughput: delivering (outbox workers ${config.outbox.workers})`);
    const t0 = performance.now();
    outbox.start();
    let stats = await sim.stats();
    while (stats.unique < cases) {
      await new Promise((r) => setTimeout(r, 10));
      stats = await sim.stats();
    }
    const seconds = (performance.now() - t0) / 1000;
    const delivered = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE state = 'delivered'`);
    await outbox.stop();
    const final = await sim.stats();
    const result = {
      cases, seconds, casesPerSecond: cases / seconds, deliveredInDb: delivered.rows[0]?.n ?? 0,
      received: final.received, unique: final.unique, duplicates: final.duplicates, rejected: final.rejected.signature + final.rejected.other, workers: config.outbox.workers,
    };
    log(`throughput: ${Math.round(result.casesPerSecond)} cases/s (${cases} in ${seconds.toFixed(2)} s, ${result.duplicates} duplicates, ${result.rejected} rejected)`);
    return result;
  } finally {
    await cleanup.runAll(log);
  }
}


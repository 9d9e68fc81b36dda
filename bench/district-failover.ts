/**
 * District failover (issue 5 §9, target ≤ 5 s): a steady stream of cases through the outbox and
 * the district link to the simulator (a process of its own); the primary is stopped and the
 * time from the stop to the first delivery the backup takes is measured, then the primary is
 * brought back and the time to the first delivery it takes again. Three ways to stop it:
 * `down` (the port closes: connection refused), `503` (every answer an error) and `hang` (no
 * answer at all: detection waits for district.timeoutMs). Real time, default configuration.
 */
import { performance } from 'node:perf_hooks';
import { systemClock } from '../gateway/core/clock.js';
import type { SimMode } from '../simulators/district/types.js';
import { benchConfig, benchEnvironment, enqueueCases, pipeline } from './district-env.js';
import { Cleanup } from './lib/cleanup.js';

export interface FailoverScenario {
  name: string;
  mode: SimMode;
  /** Stop of the primary → first delivery taken by the backup. */
  failoverS: number;
  /** Primary back → first delivery it takes. */
  returnS: number;
}

export interface FailoverResult {
  ratePerSecond: number;
  timeoutMs: number;
  probeMs: number;
  scenarios: FailoverScenario[];
  /** The slowest failover of the scenarios. */
  worstFailoverS: number;
  cases: number;
  unique: number;
  duplicates: number;
  lost: number;
  byEndpoint: { primary: number; backup: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchFailover(opts: { cleanup?: Cleanup; rate?: number; log?: (s: string) => void } = {}): Promise<FailoverResult> {
  const rate = opts.rate ?? 200;
  const log = opts.log ?? (() => undefined);
  const cleanup = opts.cleanup ?? new Cleanup();
  try {
    const { db, sim } = await benchEnvironment(cleanup, 'failover', log);
    const config = benchConfig(sim);
    // The first delivery each endpoint takes after a mark, by the observer of every result.
    let waiting: { endpoint: string; resolve: (atMs: number) => void } | null = null;
    const { outbox, link } = pipeline(db, systemClock, config, (ok, endpoint) => {
      if (ok && waiting && endpoint === waiting.endpoint) {
        const w = waiting;
        waiting = null;
        w.resolve(performance.now());
      }
    });
    cleanup.defer('district link', () => link.stop());
    cleanup.defer('outbox', () => outbox.stop());
    const firstOn = (endpoint: string) => new Promise<number>((resolve) => (waiting = { endpoint, resolve }));

    // The stream: `rate` cases a second, queued every 50 ms.
    let sent = 0;
    let streaming = true;
    const stream = (async () => {
      const t0 = performance.now();
      while (streaming) {
        const due = Math.floor(((performance.now() - t0) / 1000) * rate);
        if (due > sent) {
          await enqueueCases(db, outbox, config, sent, due - sent, systemClock.now());
          sent = due;
        }
        await sleep(50);
      }
    })();
    outbox.start();
    log(`failover: ${rate} cases/s on the primary`);
    await sleep(2000);

    const scenarios: FailoverScenario[] = [];
    const plans: Array<{ name: string; mode: SimMode }> = [
      { name: 'down (connection refused)', mode: { type: 'down' } },
      { name: 'HTTP 503', mode: { type: 'status', status: 503 } },
      { name: 'hang (no answer)', mode: { type: 'slow', delayMs: 600_000 } },
    ];
    for (const plan of plans) {
      const onBackup = firstOn('backup');
      const stoppedAt = performance.now();
      await sim.setMode('primary', plan.mode);
      const failoverS = ((await onBackup) - stoppedAt) / 1000;
      log(`failover: primary ${plan.name}: first delivery on the backup after ${failoverS.toFixed(3)} s`);
      await sleep(2000);
      const onPrimary = firstOn('primary');
      const upAt = performance.now();
      await sim.setMode('primary', { type: 'up' });
      const returnS = ((await onPrimary) - upAt) / 1000;
      log(`failover: primary up again: first delivery on it after ${returnS.toFixed(3)} s`);
      scenarios.push({ name: plan.name, mode: plan.mode, failoverS, returnS });
      await sleep(2000);
    }

    streaming = false;
    await stream;
    log(`failover: ${sent} cases queued; waiting for the simulator to hold them all`);
    const until = performance.now() + 60_000;
    let stats = await sim.stats();
    while (stats.unique < sent && performance.now() < until) {
      await sleep(50);
      stats = await sim.stats();
    }
    const worstFailoverS = Math.max(...scenarios.map((s) => s.failoverS));
    return {
      ratePerSecond: rate, timeoutMs: config.district.timeoutMs, probeMs: config.district.probeMs, scenarios, worstFailoverS,
      cases: sent, unique: stats.unique, duplicates: stats.duplicates, lost: sent - stats.unique, byEndpoint: stats.byEndpoint,
    };
  } finally {
    await cleanup.runAll(log);
  }
}


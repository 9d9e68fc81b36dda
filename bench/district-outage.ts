/**
 * A 24-hour district outage on a fake clock (issue 5 §9): both endpoints down, cases queued
 * all through it, the clock moved on in steps of the longest backoff (outbox.backoffMaxMs) with
 * every due attempt made and recorded before the next step; then both endpoints back, and the
 * clock moved on until the outbox is empty. Everything must arrive, exactly once at the
 * receiver, none given up. The outbox, the link and the simulator share the fake clock (the
 * simulator checks signature times against it), so they run in this process; PostgreSQL is real.
 */
import { performance } from 'node:perf_hooks';
import { FakeClock } from '../gateway/core/clock.js';
import type { Db } from '../gateway/storage/db.js';
import { startDistrictSimulator } from '../simulators/district/index.js';
import { benchConfig, benchDatabase, benchSecret, checkCaseFormat, enqueueCases, pipeline } from './district-env.js';
import { Cleanup } from './lib/cleanup.js';

export interface OutageResult {
  outageHours: number;
  stepMs: number;
  cases: number;
  /** Calls made while both endpoints were down (each tries the primary, then the backup). */
  attemptsDuringOutage: number;
  /** Fake time from the endpoints' return to the last delivery (in 10 s steps): each message waits out its backoff. */
  drainFakeSeconds: number;
  /** Real time the whole run took. */
  realSeconds: number;
  delivered: number;
  givenUp: number;
  pending: number;
  unique: number;
  duplicates: number;
  lost: number;
  rejected: number;
}

const hourMs = 3_600_000;

async function count(db: Db, sql: string, params: unknown[] = []): Promise<number> {
  return (await db.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0;
}

/** Waits (real time) until no message is due or held by a worker at the clock's time: every attempt of this step is made and recorded. */
async function quiesce(db: Db, nowMs: number): Promise<void> {
  for (;;) {
    const busy = await count(db, `SELECT count(*)::int AS n FROM outbox WHERE state = 'pending' AND (next_attempt_ms <= $1 OR locked_by IS NOT NULL)`, [nowMs]);
    if (busy === 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function benchOutage(opts: { cleanup?: Cleanup; casesPerStep?: number; outageHours?: number; log?: (s: string) => void } = {}): Promise<OutageResult> {
  const casesPerStep = opts.casesPerStep ?? 4;
  const outageHours = opts.outageHours ?? 24;
  const log = opts.log ?? (() => undefined);
  const cleanup = opts.cleanup ?? new Cleanup();
  const started = performance.now();
  try {
    checkCaseFormat();
    log('outage: starting PostgreSQL and the district simulator');
    const db = await benchDatabase(cleanup, 'cityops_district_outage');
    const clock = new FakeClock(Date.UTC(2026, 6, 1));
    const sim = await startDistrictSimulator({ secret: benchSecret, clock, keepBodies: false });
    cleanup.defer('district simulator', () => sim.close());
    const config = benchConfig(sim);
    const { outbox, link } = pipeline(db, clock, config);
    cleanup.defer('district link', () => link.stop());
    cleanup.defer('outbox', () => outbox.stop());
    const stepMs = config.outbox.backoffMaxMs;

    await sim.setMode('both', { type: 'down' });
    outbox.start();
    const outageEnd = clock.now() + outageHours * hourMs;
    let cases = 0;
    let nextReport = clock.now() + 4 * hourMs;
    log(`outage: both endpoints down for ${outageHours} h (fake clock), ${casesPerStep} cases every ${stepMs / 60_000} min`);
    while (clock.now() < outageEnd) {
      await enqueueCases(db, outbox, config, cases, casesPerStep, clock.now());
      cases += casesPerStep;
      await quiesce(db, clock.now());
      clock.advance(stepMs);
      outbox.poke();
      await quiesce(db, clock.now());
      if (clock.now() >= nextReport) {
        log(`outage: ${Math.round((clock.now() - (outageEnd - outageHours * hourMs)) / hourMs)} h in, ${cases} cases waiting, ${(await count(db, 'SELECT count(*)::int AS n FROM outbox_attempts'))} attempts made`);
        nextReport += 4 * hourMs;
      }
    }
    const attemptsDuringOutage = await count(db, 'SELECT count(*)::int AS n FROM outbox_attempts');
    const beforeDrain = { unique: sim.stats().unique, given: await count(db, `SELECT count(*)::int AS n FROM outbox WHERE state <> 'pending'`) };
    if (beforeDrain.unique !== 0 || beforeDrain.given !== 0) throw new Error(`outage: something left the outbox while both endpoints were down (${JSON.stringify(beforeDrain)})`);

    log('outage: both endpoints back');
    await sim.setMode('both', { type: 'up' });
    const backAt = clock.now();
    let lastDelivery = backAt;
    // Finer steps now: when the last message went is the drain time.
    const drainStepMs = 10_000;
    for (let step = 0; step < (10 * stepMs) / drainStepMs; step++) {
      clock.advance(drainStepMs);
      outbox.poke();
      await quiesce(db, clock.now());
      const pending = await count(db, `SELECT count(*)::int AS n FROM outbox WHERE state = 'pending'`);
      lastDelivery = (await count(db, 'SELECT coalesce(max(delivered_at_ms), 0)::int8 AS n FROM outbox')) || lastDelivery;
      if (pending === 0) break;
    }
    const stats = sim.stats();
    const result: OutageResult = {
      outageHours, stepMs, cases, attemptsDuringOutage,
      drainFakeSeconds: (lastDelivery - backAt) / 1000,
      realSeconds: (performance.now() - started) / 1000,
      delivered: await count(db, `SELECT count(*)::int AS n FROM outbox WHERE state = 'delivered'`),
      givenUp: await count(db, `SELECT count(*)::int AS n FROM outbox WHERE state = 'given_up'`),
      pending: await count(db, `SELECT count(*)::int AS n FROM outbox WHERE state = 'pending'`),
      unique: stats.unique,
      duplicates: stats.duplicates,
      lost: cases - stats.unique,
      rejected: stats.rejected.signature + stats.rejected.other,
    };
    log(`outage: ${result.delivered}/${cases} delivered, ${result.duplicates} duplicates, ${result.lost} lost, ${result.givenUp} given up (${result.realSeconds.toFixed(0)} s real)`);
    return result;
  } finally {
    await cleanup.runAll(log);
  }
}


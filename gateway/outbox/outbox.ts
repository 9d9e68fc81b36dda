import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Clock, ClockTimer } from '../core/clock.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db } from '../storage/db.js';
import { outboxMetrics } from './metrics.js';
import { noChannelOutcome, outcomeOf, type OutcomeContext } from './outcome.js';
import { claimDue, enqueueMessage, expediteChannel, recordResults, releaseClaims, type Claimed, type ResultRow } from './store.js';
import type { Channel, DeliveryResult, Outbox, OutboxMessage } from './types.js';

export interface OutboxOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  config: Config['outbox'];
  /** The app's metrics (only its registry is used). */
  metrics?: { readonly registry: Registry };
  /** Jitter source in [0, 1); tests pin it. */
  random?: () => number;
  /** Messages claimed per statement; default 8 per worker, at least 16. */
  claimBatch?: number;
  /** Names this process in `locked_by`; default host:pid:random. */
  workerId?: string;
  /**
   * The give-up alarm: called with the messages just given up (older than their maximum age),
   * after their state is written. They stay in the table, visible and re-sendable.
   */
  onGivenUp?: (messages: OutboxMessage[]) => void | Promise<void>;
}

/**
 * The outbox worker of one process. One pipeline: a claimer takes due rows in batches (one
 * statement, SKIP LOCKED, lease taken at once) whenever half a batch or less waits; up to
 * `workers` deliveries run at once outside any transaction; finished results are written in
 * one statement per batch (whatever finished while the previous write ran). Several processes
 * share the table: a row is held by one lease at a time, and a result is recorded only by the
 * lease holder.
 */
export function createOutbox(opts: OutboxOptions): Outbox {
  const { db, clock, config } = opts;
  const log = componentLogger(opts.logger, 'outbox');
  const owner = opts.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const random = opts.random ?? Math.random;
  const claimBatch = opts.claimBatch ?? Math.max(16, config.workers * 8);
  const metrics = opts.metrics ? outboxMetrics(opts.metrics.registry) : undefined;
  const policy = { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs };
  // Two result writes may overlap: each waits mostly on its commit, and the server flushes
  // concurrent commits together.
  const maxFlushes = 2;
  const channels = new Map<string, Channel>();
  const warnedNoChannel = new Set<string>();
  // Deliveries are never cut short by stop() (it waits for them); channels bound their own time.
  // Every delivery in flight shares the signal, and a channel may listen on it.
  const signal = new AbortController().signal;
  setMaxListeners(config.workers + 16, signal);

  let running = false;
  let want = false;
  let claiming = false;
  let flushing = 0;
  let active = 0;
  let pollTimer: ClockTimer | null = null;
  let flushTimer: ClockTimer | null = null;
  const ready: Claimed[] = [];
  const done: ResultRow[] = [];
  let settledWaiters: Array<() => void> = [];

  function pump(): void {
    while (running && active < config.workers) {
      const next = ready.shift();
      if (!next) break;
      deliver(next);
    }
    // Claim ahead while half a batch still waits, so workers do not idle through a claim.
    if (running && want && !claiming && ready.length <= claimBatch / 2) void claim();
    notifySettled();
  }

  async function claim(): Promise<void> {
    claiming = true;
    want = false;
    const limit = claimBatch - ready.length;
    try {
      const claimed = await claimDue(db, { nowMs: clock.now(), leaseMs: config.leaseMs, owner, limit });
      const gaveUp: OutboxMessage[] = [];
      for (const c of claimed) {
        if (c.givenUp) gaveUp.push(givenUp(c));
        else ready.push(c);
      }
      if (gaveUp.length > 0) alarm(gaveUp);
      // A full batch: more may be due at once.
      if (claimed.length === limit) want = true;
    } catch (e) {
      log.warn({ err: errorText(e) }, 'claiming due messages failed; trying again at the next poll');
    } finally {
      claiming = false;
    }
    pump();
  }

  function deliver(c: Claimed): void {
    // It waited past its lease: another process may hold it now, so it is not ours to send.
    if (clock.now() >= c.lockedUntilMs) {
      log.warn({ id: c.message.id, channel: c.message.channel }, 'claimed message waited past its lease; left to the next claim');
      return;
    }
    active++;
    void attempt(c)
      .then((row) => {
        done.push(row);
        note(c, row);
      })
      .catch((e: unknown) => log.error({ id: c.message.id, channel: c.message.channel, err: errorText(e) }, 'delivery bookkeeping failed; the lease will expire and the message be claimed again'))
      .finally(() => {
        active--;
        flush();
        pump();
      });
  }

  async function attempt(c: Claimed): Promise<ResultRow> {
    const atMs = clock.now();
    const channel = channels.get(c.message.channel);
    if (!channel) return noChannelOutcome(c, context(atMs, 0));
    const t0 = performance.now();
    let result: DeliveryResult;
    try {
      result = await channel.deliver(c.message, signal);
    } catch (e) {
      result = { ok: false, retryable: true, error: errorText(e) };
    }
    const seconds = (performance.now() - t0) / 1000;
    metrics?.deliverySeconds.observe({ channel: c.message.channel }, seconds);
    return outcomeOf(c, result, context(atMs, seconds * 1000));
  }

  function context(atMs: number, durationMs: number): OutcomeContext {
    return { policy, random, atMs, nowMs: clock.now(), durationMs };
  }

  function note(c: Claimed, row: ResultRow): void {
    const outcome = !row.attempted ? 'no_channel' : row.state === 'pending' ? 'retry' : row.state;
    metrics?.outcomes.inc({ channel: c.message.channel, outcome });
    const ctx = { id: c.message.id, channel: c.message.channel, attempt: c.message.attempts + 1, status: row.status, err: row.error !== null ? maskPhones(row.error) : null };
    if (outcome === 'failed') log.warn(ctx, 'delivery refused for good; re-send it from the deliveries API once fixed');
    else if (outcome === 'retry') log.debug({ ...ctx, nextAttemptMs: row.nextAttemptMs }, 'delivery failed; will retry');
    else if (outcome === 'no_channel' && !warnedNoChannel.has(c.message.channel)) {
      warnedNoChannel.add(c.message.channel);
      log.warn({ channel: c.message.channel }, 'messages for a notifier channel that is not configured wait until it is');
    }
  }

  function givenUp(c: Claimed): OutboxMessage {
    metrics?.outcomes.inc({ channel: c.message.channel, outcome: 'given_up' });
    log.warn({ id: c.message.id, channel: c.message.channel, attempts: c.message.attempts }, 'delivery given up: older than its maximum age (it can be re-sent from the deliveries API)');
    return c.message;
  }

  /** The claim statement has committed `given_up`: now the alarm may go off. */
  function alarm(messages: OutboxMessage[]): void {
    if (!opts.onGivenUp) return;
    const failed = (e: unknown) => log.error({ err: errorText(e), ids: messages.map((m) => m.id) }, 'the give-up alarm failed');
    try {
      void Promise.resolve(opts.onGivenUp(messages)).catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  function flush(): void {
    if (flushing >= maxFlushes || flushTimer !== null || done.length === 0) return;
    flushing++;
    const rows = done.splice(0, done.length);
    recordResults(db, owner, rows)
      .then(() => {
        // Finished messages may unblock the next of their order key.
        want = true;
      })
      .catch((e: unknown) => {
        const nowMs = clock.now();
        log.warn({ err: errorText(e), results: rows.length }, 'recording delivery results failed; retrying');
        done.unshift(...rows.filter((r) => nowMs < r.atMs + config.leaseMs));
        flushTimer = clock.setTimeout(() => {
          flushTimer = null;
          flush();
        }, Math.max(100, Math.min(config.pollMs, 5000)));
      })
      .finally(() => {
        flushing--;
        flush();
        pump();
      });
  }

  function armPoll(): void {
    pollTimer = clock.setTimeout(() => {
      pollTimer = null;
      if (!running) return;
      want = true;
      armPoll();
      pump();
    }, Math.max(1, config.pollMs));
    pollTimer.unref?.();
  }

  function notifySettled(): void {
    if (claiming || flushing > 0 || active > 0) return;
    const waiters = settledWaiters;
    settledWaiters = [];
    for (const w of waiters) w();
  }

  function settled(): Promise<void> {
    return new Promise((resolve) => {
      settledWaiters.push(resolve);
      notifySettled();
    });
  }

  return {
    enqueue: (tx, m) => enqueueMessage(tx, m, clock.now(), config.maxAgeMs),
    register(channel) {
      channels.set(channel.name, channel);
      warnedNoChannel.delete(channel.name);
    },
    hasChannel: (name) => channels.has(name),
    poke() {
      if (!running) return;
      want = true;
      pump();
    },
    async expedite(channel) {
      const moved = await expediteChannel(db, channel, clock.now());
      if (moved > 0 && running) {
        want = true;
        pump();
      }
      return moved;
    },
    start() {
      if (running) return;
      running = true;
      want = true;
      armPoll();
      pump();
    },
    async stop() {
      running = false;
      if (pollTimer !== null) clock.clearTimeout(pollTimer);
      pollTimer = null;
      await settled();
      const unstarted = ready.splice(0, ready.length).map((c) => c.message.id);
      if (flushTimer !== null) clock.clearTimeout(flushTimer);
      flushTimer = null;
      try {
        await recordResults(db, owner, done.splice(0, done.length));
        await releaseClaims(db, owner, unstarted);
      } catch (e) {
        log.warn({ err: errorText(e) }, 'could not record the last results at stop; those messages are sent again when their lease expires');
      }
    },
  };
}

/** A receiver's error text may echo the numbers it was asked to call; logs never carry them. */
function maskPhones(text: string): string {
  return text.replace(/(?<![0-9])1[3-9][0-9]{9}(?![0-9])/g, '1**********');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

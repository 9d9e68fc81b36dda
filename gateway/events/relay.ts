import type { Clock, ClockTimer } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db, Queryable } from '../storage/db.js';
import { settledId } from './store.js';
import { matchesType, parseTypeFilter, type TypeFilter } from './type-filter.js';
import type { EventConsumer, EventFeed, EventRelay } from './types.js';

export interface EventRelayOptions {
  db: Db;
  feed: EventFeed;
  clock: Clock;
  logger: Logger;
  /** After a commit that handled events (the service passes `outbox.poke`). */
  afterCommit?: () => void;
  /** Events read per page (one transaction each); default 500, at most 1000. */
  pageSize?: number;
  /** How often every consumer looks for events other processes wrote; default 1000 ms. */
  pollMs?: number;
  /** Backoff of a failing consumer: first retry after this, doubling; default 1000 ms. */
  retryBaseMs?: number;
  /** Longest backoff; default 60 s. */
  retryMaxMs?: number;
}

const consumerName = /^[A-Za-z0-9_-]{1,64}$/;

type PageOutcome = 'idle' | 'handled' | 'moved';

/**
 * The event relay (EventRelay in types.ts). Each consumer has a cursor row in `event_cursors`
 * (migration 013). A page is read with the feed's own visibility rule (`feed.list` never returns
 * an id while a lower one may still commit), then handled in one transaction that locks the
 * cursor row, checks it still stands where the page was read from, and moves it on: a crash
 * before COMMIT leaves the cursor and whatever the consumer wrote unchanged, and a second
 * process waiting on the lock finds the cursor moved and reads again. So each event is handled
 * exactly once, by one process, and never skipped.
 *
 * Pages are read unfiltered and filtered here, so a consumer's cursor moves past events it does
 * not want too. Consumers run independently: one that throws backs off and retries the same
 * page while the others go on.
 */
export function createEventRelay(opts: EventRelayOptions): EventRelay {
  const { db, feed, clock } = opts;
  const log = componentLogger(opts.logger, 'relay');
  const pageSize = Math.min(Math.max(Math.trunc(opts.pageSize ?? 500), 1), 1000);
  const pollMs = Math.max(1, opts.pollMs ?? 1000);
  const retryBaseMs = Math.max(1, opts.retryBaseMs ?? 1000);
  const retryMaxMs = Math.max(retryBaseMs, opts.retryMaxMs ?? 60_000);
  const runners = new Map<string, Runner>();
  let started = false;
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  let pollTimer: ClockTimer | null = null;

  interface Runner {
    consumer: EventConsumer;
    filter: TypeFilter | undefined;
    /** Queues a pass (or joins the one queued and not yet started); rejects when it fails. */
    schedule(): Promise<void>;
    /** A pass from a wake-up or the poll; failures are logged and retried by the runner. */
    wake(): void;
    idle(): Promise<void>;
    cancel(): void;
  }

  function runner(consumer: EventConsumer): Runner {
    const filter = parseTypeFilter(consumer.types);
    const clog = log.child({ consumer: consumer.name });
    let tail: Promise<void> = Promise.resolve();
    let queued: Promise<void> | null = null;
    let failures = 0;
    let retryTimer: ClockTimer | null = null;

    async function pass(): Promise<void> {
      while (!stopped) {
        let outcome: PageOutcome;
        try {
          outcome = await page(consumer, filter);
        } catch (err) {
          failures++;
          const delay = Math.min(retryBaseMs * 2 ** Math.min(failures - 1, 30), retryMaxMs);
          clog.error({ err: errorText(err), failures, retryMs: delay }, 'event consumer failed; the page is kept and retried');
          self.cancel();
          if (!stopped) {
            retryTimer = clock.setTimeout(() => {
              retryTimer = null;
              self.wake();
            }, delay);
            retryTimer.unref?.();
          }
          throw err;
        }
        // A pass that succeeds (a drain during the backoff) ends the backoff: live wake-ups count again.
        failures = 0;
        self.cancel();
        if (outcome === 'idle') return;
      }
    }

    const self: Runner = {
      consumer,
      filter,
      schedule() {
        if (queued) return queued;
        const p = tail.then(async () => {
          queued = null;
          await pass();
        });
        queued = p;
        tail = p.then(noop, noop);
        return p;
      },
      wake() {
        // While backing off, wake-ups wait for the retry timer.
        if (stopped || retryTimer !== null) return;
        // The failure is logged in pass() and retried by its timer.
        self.schedule().catch(noop);
      },
      idle: () => tail,
      /** Drops the retry timer of a backoff. */
      cancel() {
        if (retryTimer !== null) clock.clearTimeout(retryTimer);
        retryTimer = null;
      },
    };
    return self;
  }

  /** One page for one consumer. */
  async function page(consumer: EventConsumer, filter: TypeFilter | undefined): Promise<PageOutcome> {
    const cursor = await readCursor(db, consumer.name);
    const events = await feed.list({ after: String(cursor), limit: pageSize });
    const last = events.at(-1);
    if (!last) return 'idle';
    const wanted = filter ? events.filter((e) => matchesType(filter, e.type)) : events;
    const moved = await db.transaction(async (tx) => {
      const locked = await tx.query<{ last_id: string }>('SELECT last_id FROM event_cursors WHERE consumer = $1 FOR UPDATE', [consumer.name]);
      // Another process handled this page while we read it: read again from where it left off.
      if (Number(locked.rows[0]?.last_id) !== cursor) return true;
      if (wanted.length > 0) await consumer.handle(tx, wanted);
      await tx.query('UPDATE event_cursors SET last_id = $2, updated_at_ms = $3 WHERE consumer = $1', [consumer.name, last.id, clock.now()]);
      return false;
    });
    if (moved) {
      log.debug({ consumer: consumer.name, after: cursor }, 'another process handled this page; reading on from its cursor');
      return 'moved';
    }
    if (wanted.length > 0) afterCommit();
    return events.length < pageSize ? 'idle' : 'handled';
  }

  function afterCommit(): void {
    try {
      opts.afterCommit?.();
    } catch (err) {
      log.error({ err: errorText(err) }, 'afterCommit hook failed');
    }
  }

  function wakeAll(type?: string): void {
    for (const r of runners.values()) if (type === undefined || matchesType(r.filter, type)) r.wake();
  }

  function armPoll(): void {
    pollTimer = clock.setTimeout(() => {
      pollTimer = null;
      if (stopped) return;
      wakeAll();
      armPoll();
    }, pollMs);
    pollTimer.unref?.();
  }

  return {
    add(consumer) {
      if (started) throw new Error(`event relay: consumer "${consumer.name}" added after start`);
      if (!consumerName.test(consumer.name)) throw new GatewayError('GW_ERR_VALIDATION', `event consumer name "${consumer.name}" must be 1-64 letters, digits, _ or -`);
      if (runners.has(consumer.name)) throw new GatewayError('GW_ERR_CONFLICT', `event consumer "${consumer.name}" is added twice`);
      runners.set(consumer.name, runner(consumer));
    },

    async start() {
      if (started) return;
      started = true;
      // A new consumer starts at the end of the feed: nothing at or below the settled id can still commit.
      const end = await settledId(db);
      for (const name of runners.keys()) {
        await db.query('INSERT INTO event_cursors (consumer, last_id, updated_at_ms) VALUES ($1, $2, $3) ON CONFLICT (consumer) DO NOTHING', [name, end, clock.now()]);
      }
      unsubscribe = feed.subscribe({}, (e) => wakeAll(e.type));
      armPoll();
      wakeAll();
    },

    async drain() {
      const results = await Promise.allSettled([...runners.values()].map((r) => r.schedule()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },

    async stop() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = undefined;
      if (pollTimer !== null) clock.clearTimeout(pollTimer);
      pollTimer = null;
      for (const r of runners.values()) r.cancel();
      await Promise.all([...runners.values()].map((r) => r.idle()));
    },
  };
}

async function readCursor(db: Queryable, consumer: string): Promise<number> {
  const r = await db.query<{ last_id: string }>('SELECT last_id FROM event_cursors WHERE consumer = $1', [consumer]);
  const row = r.rows[0];
  if (!row) throw new Error(`event relay: no cursor row for consumer "${consumer}" (was it added before start?)`);
  return Number(row.last_id);
}

function noop(): void {}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

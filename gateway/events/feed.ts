import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db, Queryable } from '../storage/db.js';
import { LocalHorizon } from './horizon.js';
import { eventMetrics, type EventMetrics } from './metrics.js';
import { insertEvent, selectByIds, selectEvents, settledId } from './store.js';
import { Subscriber } from './subscriber.js';
import { parseTypeFilter } from './type-filter.js';
import type { EventFeed, EventQuery, NewEvent, PlatformEvent } from './types.js';

export interface EventFeedOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** The app's metrics registry (`metrics.registry`); without it nothing is counted. */
  metrics?: { registry: Registry };
  /** Rows per replay query of a subscription; default 500. */
  replayPageSize?: number;
  /** Live events a subscription holds while it replays; default 10,000. */
  maxHeld?: number;
}

export const defaultListLimit = 100;
export const maxListLimit = 1000;
type Emit = (e: NewEvent) => Promise<PlatformEvent>;
const typeName = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

export interface LocalEventFeed extends EventFeed {
  /** Live subscriptions and ids in open transactions, for health checks and tests. */
  stats(): { subscribers: number; inFlight: number };
}

/**
 * The event feed (gateway/events/types.ts). Live subscribers get this process's events straight
 * from the committed rows it inserted, in id order, once every lower id it knows of has
 * committed or rolled back (LocalHorizon); no database round trip on that path. Pulls read the
 * table and also stop where another process may still commit a lower id (migration 005).
 */
export function createEventFeed(opts: EventFeedOptions): LocalEventFeed {
  const { db, clock } = opts;
  const log = componentLogger(opts.logger, 'events');
  const metrics: EventMetrics | undefined = opts.metrics ? eventMetrics(opts.metrics.registry) : undefined;
  const horizon = new LocalHorizon();
  const subscribers = new Set<Subscriber>();
  const open = new Set<Promise<unknown>>();
  let lastShown = 0;
  let closed = false;

  const show = () => {
    for (const e of horizon.takeVisible()) {
      lastShown = Number(e.id);
      for (const s of subscribers) s.offer(e);
    }
  };

  /** Ids of a transaction whose fate is unknown (it failed at or after COMMIT): look them up. */
  const settleUncertain = async (ids: number[]) => {
    let found: PlatformEvent[] = [];
    try {
      found = await selectByIds(db, ids);
    } catch (err) {
      log.error({ err: (err as Error).message, ids }, 'could not tell whether events committed; live streams may miss them (pull and Last-Event-ID resume will not)');
    }
    return found;
  };

  const run = async <T>(fn: (tx: Queryable, emit: Emit) => Promise<T>): Promise<T> => {
    const ids: number[] = [];
    const events: PlatformEvent[] = [];
    let fnDone = false;
    try {
      const out = await db.transaction(async (tx) => {
        const result = await fn(tx, async (e) => {
          checkEvent(e);
          const token = horizon.beginDraw();
          let event: PlatformEvent;
          try {
            event = await insertEvent(tx, e, clock.now());
          } catch (err) {
            horizon.drawFailed(token);
            throw err;
          }
          horizon.drawn(token, Number(event.id));
          ids.push(Number(event.id));
          events.push(event);
          return event;
        });
        fnDone = true;
        return result;
      });
      horizon.finish(ids, events);
      for (const e of events) metrics?.emitted.inc({ type: e.type });
      return out;
    } catch (err) {
      // fn failed: rolled back. Failed after fn: COMMIT may or may not have happened.
      horizon.finish(ids, fnDone && ids.length > 0 ? await settleUncertain(ids) : []);
      throw err;
    } finally {
      show();
    }
  };

  return {
    transaction<T>(fn: (tx: Queryable, emit: Emit) => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(new GatewayError('GW_ERR_NOT_READY', 'the event feed is closed'));
      const p = run(fn);
      open.add(p);
      const forget = () => void open.delete(p);
      p.then(forget, forget);
      return p;
    },

    async list(q: EventQuery): Promise<PlatformEvent[]> {
      const after = parseCursor(q.after) ?? 0;
      const filter = parseTypeFilter(q.types);
      const limit = Math.min(Math.max(Math.trunc(q.limit ?? defaultListLimit), 1), maxListLimit);
      // Local bound first: anything below it was committed before the queries start.
      const local = horizon.bound();
      const settled = await settledId(db);
      return selectEvents(db, { after, below: Math.min(local, settled + 1), filter, limit });
    },

    subscribe(q: EventQuery, listener: (e: PlatformEvent) => void): () => void {
      if (closed) throw new GatewayError('GW_ERR_NOT_READY', 'the event feed is closed');
      const filter = parseTypeFilter(q.types);
      const sub: Subscriber = new Subscriber({
        filter,
        after: parseCursor(q.after),
        lastShown,
        listener,
        // The replay is bounded by this process's horizon only: it must reach every event
        // already shown live, or the switch to live would skip some.
        page: (after, f, limit) => selectEvents(db, { after, below: horizon.bound(), filter: f, limit }),
        pageSize: opts.replayPageSize ?? 500,
        maxHeld: opts.maxHeld ?? 10_000,
        clock,
        log,
        onStop: () => void subscribers.delete(sub),
      });
      subscribers.add(sub);
      sub.start();
      return () => sub.stop();
    },

    stats: () => ({ subscribers: subscribers.size, inFlight: horizon.busy }),

    async close(): Promise<void> {
      closed = true;
      for (const s of [...subscribers]) s.stop();
      await Promise.allSettled([...open]);
    },
  };
}

/** A cursor is a decimal event id; `undefined` stays undefined. */
export function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(cursor)) throw new GatewayError('GW_ERR_VALIDATION', `event cursor "${cursor}" is not an event id`, [{ field: '/after', message: 'expected a decimal event id' }]);
  return Number(cursor);
}

function checkEvent(e: NewEvent): void {
  if (!typeName.test(e.type)) throw new GatewayError('GW_ERR_VALIDATION', `event type "${e.type}" is not a lower-case dotted name such as warning.raised`);
  if (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data)) throw new GatewayError('GW_ERR_VALIDATION', `event ${e.type}: data must be a JSON object`);
}

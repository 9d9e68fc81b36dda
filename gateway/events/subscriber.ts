import type { Clock, ClockTimer } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { PlatformEvent } from './types.js';
import { matchesType, type TypeFilter } from './type-filter.js';

/** Reads committed events of the table after a cursor, below this process's horizon. */
export type ReplayPage = (after: number, filter: TypeFilter | undefined, limit: number) => Promise<PlatformEvent[]>;

export interface SubscriberOptions {
  filter: TypeFilter | undefined;
  /** Replay from the table after this id; undefined: live only, from `lastShown`. */
  after: number | undefined;
  /** The highest id the feed has shown so far (where a live-only subscription starts). */
  lastShown: number;
  listener: (e: PlatformEvent) => void;
  page: ReplayPage;
  pageSize: number;
  /** Live events held while the replay runs; past this the hold is dropped and the replay reads them from the table. */
  maxHeld: number;
  clock: Clock;
  log: Logger;
  onStop: () => void;
}

/**
 * One subscription: replays from the table in pages, then switches to the events the feed shows
 * live, without a gap or a duplicate at the switch. Live events that arrive during the replay
 * are held; the switch happens after a short page from a query started after the hold began,
 * since such a query saw every event shown before the hold (the feed shows an event only once it
 * is committed and below the horizon the query was bounded by). Held events after the replay's
 * cursor are then delivered, and from there events go straight to the listener.
 */
export class Subscriber {
  private cursor: number;
  private held: PlatformEvent[] | null;
  /** Bumped when the hold is dropped; a page read before that cannot end the replay. */
  private holdEpoch = 0;
  private stopped = false;
  private retryTimer: ClockTimer | undefined;

  constructor(private readonly o: SubscriberOptions) {
    this.cursor = o.after ?? o.lastShown;
    this.held = o.after === undefined ? null : [];
  }

  /** Call once the feed offers it events: the first replay query must start after that. */
  start(): void {
    if (this.held) void this.replay(1000);
  }

  /** Every event the feed shows, in id order. */
  offer(e: PlatformEvent): void {
    if (this.stopped || !matchesType(this.o.filter, e.type)) return;
    if (this.held) {
      if (this.held.length >= this.o.maxHeld) {
        this.held = [];
        this.holdEpoch++;
      }
      this.held.push(e);
      return;
    }
    this.deliver(e);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.held = null;
    if (this.retryTimer) this.o.clock.clearTimeout(this.retryTimer);
    this.o.onStop();
  }

  private async replay(retryMs: number): Promise<void> {
    this.retryTimer = undefined;
    while (!this.stopped) {
      const epoch = this.holdEpoch;
      let page: PlatformEvent[];
      try {
        page = await this.o.page(this.cursor, this.o.filter, this.o.pageSize);
      } catch (err) {
        if (this.stopped) return;
        this.o.log.warn({ err: (err as Error).message, after: this.cursor, retryMs }, 'event replay failed; retrying');
        this.retryTimer = this.o.clock.setTimeout(() => void this.replay(Math.min(retryMs * 2, 30_000)), retryMs);
        return;
      }
      for (const e of page) {
        if (this.stopped) return;
        this.deliver(e);
      }
      if (page.length < this.o.pageSize && epoch === this.holdEpoch) {
        this.goLive();
        return;
      }
    }
  }

  private goLive(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const e of held) {
      if (this.stopped) return;
      this.deliver(e);
    }
  }

  private deliver(e: PlatformEvent): void {
    const id = Number(e.id);
    if (id <= this.cursor) return;
    this.cursor = id;
    try {
      this.o.listener(e);
    } catch (err) {
      this.o.log.error({ err: (err as Error).message, eventId: e.id }, 'event listener threw');
    }
  }
}

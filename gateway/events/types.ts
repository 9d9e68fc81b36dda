import type { Queryable } from '../storage/db.js';

/**
 * One event feed for everything the platform emits (warnings now; cases, deliveries and checks
 * later): `GET /api/v1/events?after=` and `GET /api/v1/events/stream` (SSE, `Last-Event-ID`).
 * Events are rows in `events`; the cursor is the row id. A reader never sees a gap that fills
 * later: events become visible in id order only once every lower id has committed or rolled back.
 */

/** Dotted type names, `{area}.{what}`: warning.raised, warning.updated, warning.cleared, warning.acknowledged, warning.comment, warning.storm, callout.call, callout.reminder, callout.escalated, callout.acknowledged, rule.activated, rule.disabled, notification. */
export type EventType = string;

export interface NewEvent {
  type: EventType;
  /** What it is about, e.g. { type: 'warning', id: '42' }. */
  subject: { type: string; id: string };
  /** Grid block, for subscription filters and masking by area. */
  blockCode?: string | null;
  /** Warning grade where it has one, for `minGrade` filters. */
  grade?: 'blue' | 'yellow' | 'orange' | 'red' | null;
  exercise?: boolean;
  /** The payload: JSON, documented per type in docs/events.md. */
  data: Record<string, unknown>;
}

export interface PlatformEvent extends Required<Omit<NewEvent, 'blockCode' | 'grade' | 'exercise'>> {
  /** The cursor: a decimal string, increasing. */
  id: string;
  /** ISO 8601 with +08:00. */
  at: string;
  atMs: number;
  blockCode: string | null;
  grade: NewEvent['grade'];
  exercise: boolean;
}

export interface EventQuery {
  after?: string;
  types?: string[];
  limit?: number;
}

export interface EventFeed {
  /**
   * Runs `fn` in one database transaction; events emitted through `emit` commit with it and are
   * pushed to live streams right after the commit. The only way to write events.
   */
  transaction<T>(fn: (tx: Queryable, emit: (e: NewEvent) => Promise<PlatformEvent>) => Promise<T>): Promise<T>;
  /** Events after the cursor, oldest first (pull). */
  list(q: EventQuery): Promise<PlatformEvent[]>;
  /** Live events as they become visible, after `after` (replayed from the table first). Returns a stop function. */
  subscribe(q: EventQuery, listener: (e: PlatformEvent) => void): () => void;
  close(): Promise<void>;
}

/**
 * A durable consumer of the feed (relay.ts): its cursor is kept in the database, and each page
 * of events is handled in the transaction that moves the cursor on, so whatever it enqueues
 * (subscription deliveries, district forwards) is queued exactly once per event, across
 * crashes, restarts and several processes. A new consumer starts at the end of the feed.
 */
export interface EventConsumer {
  /** Durable name (letters, digits, `_`, `-`): the key of its cursor. */
  name: string;
  /** Only these event types (same syntax as the feed's `types` filter: `case.*`); default all. */
  types?: string[];
  handle(tx: Queryable, events: readonly PlatformEvent[]): Promise<void>;
}

export interface EventRelay {
  /** Before start. */
  add(consumer: EventConsumer): void;
  /** Catches every consumer up, then follows the feed live (and polls, for other processes' events). */
  start(): Promise<void>;
  /** Resolves when every consumer has handled everything visible now (tests, shutdown). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

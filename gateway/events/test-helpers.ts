/** Helpers for the event feed tests (not used by the service). */
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { pino } from 'pino';
import type { Test } from 'tap';
import { FakeClock } from '../core/clock.js';
import type { Db } from '../storage/db.js';
import { createEventFeed, type EventFeedOptions, type LocalEventFeed } from './feed.js';
import type { NewEvent, PlatformEvent } from './types.js';

export function testFeed(t: Test, db: Db, opts: Partial<EventFeedOptions> = {}): LocalEventFeed {
  const feed = createEventFeed({ db, clock: opts.clock ?? new FakeClock(Date.UTC(2026, 0, 1)), logger: pino({ level: 'silent' }), ...opts });
  t.teardown(() => feed.close());
  return feed;
}

export function newEvent(type = 'warning.raised', id = '1', extra: Partial<NewEvent> = {}): NewEvent {
  return { type, subject: { type: 'warning', id }, blockCode: '310117006001003012', grade: 'yellow', data: { level: 1 }, ...extra };
}

/** Emits events, one transaction each, and returns them. */
export async function emitAll(feed: LocalEventFeed, types: readonly string[]): Promise<PlatformEvent[]> {
  const out: PlatformEvent[] = [];
  for (const [i, type] of types.entries()) out.push(await feed.transaction((_tx, emit) => emit(newEvent(type, String(i)))));
  return out;
}

/** A transaction held open after its emits until `commit()` or `rollback()`. */
export async function openTransaction(feed: LocalEventFeed, types: readonly string[]): Promise<{ events: PlatformEvent[]; commit(): Promise<void>; rollback(): Promise<void> }> {
  let finish!: (ok: boolean) => void;
  const decided = new Promise<boolean>((resolve) => (finish = resolve));
  let emitted!: (events: PlatformEvent[]) => void;
  const ready = new Promise<PlatformEvent[]>((resolve) => (emitted = resolve));
  const done = feed.transaction(async (_tx, emit) => {
    const events: PlatformEvent[] = [];
    for (const type of types) events.push(await emit(newEvent(type)));
    emitted(events);
    if (!(await decided)) throw new Error('rolled back on purpose');
  });
  const settled = done.then(() => undefined, (e: Error) => {
    if (e.message !== 'rolled back on purpose') throw e;
  });
  const events = await ready;
  return {
    events,
    commit: async () => { finish(true); await settled; },
    rollback: async () => { finish(false); await settled; },
  };
}

/** Collects what a subscription delivers; `until(n)` waits for n events. */
export function collector(): { events: PlatformEvent[]; listener: (e: PlatformEvent) => void; until(n: number): Promise<PlatformEvent[]> } {
  const events: PlatformEvent[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  return {
    events,
    listener: (e) => {
      events.push(e);
      waiters = waiters.filter((w) => (events.length >= w.n ? (w.resolve(), false) : true));
    },
    until: (n) => (events.length >= n ? Promise.resolve(events) : new Promise((resolve) => waiters.push({ n, resolve: () => resolve(events) }))),
  };
}

export const ids = (events: readonly PlatformEvent[]): string[] => events.map((e) => e.id);

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
}

export interface SseClient {
  status: number;
  headers: IncomingHttpHeaders;
  messages: SseMessage[];
  comments: string[];
  /** Resolves once `n` messages arrived. */
  until(n: number): Promise<SseMessage[]>;
  /** Resolves when a comment line matching arrived. */
  comment(text: string): Promise<void>;
  /** Resolves when the server ended or dropped the response. */
  ended: Promise<void>;
  socket: Socket;
  close(): void;
}

/** A minimal EventSource over node:http: parses fields per the SSE spec's line format. */
export function sseClient(url: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const messages: SseMessage[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      let current: SseMessage = {};
      let endedResolve!: () => void;
      const ended = new Promise<void>((r) => (endedResolve = r));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (current.data !== undefined || current.id !== undefined) messages.push(current);
            current = {};
          } else if (line.startsWith(':')) {
            comments.push(line.slice(1).trim());
          } else {
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id' || field === 'event' || field === 'data') current[field] = value;
          }
        }
        for (const w of [...waiters]) w();
      });
      res.on('close', () => endedResolve());
      res.on('error', () => endedResolve());
      const wait = (done: () => boolean) => new Promise<void>((r) => {
        const check = () => {
          if (done()) {
            waiters.delete(check);
            r();
          }
        };
        waiters.add(check);
        check();
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages,
        comments,
        until: async (n) => {
          await wait(() => messages.length >= n);
          return messages;
        },
        comment: (text) => wait(() => comments.includes(text)),
        ended,
        socket: res.socket,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

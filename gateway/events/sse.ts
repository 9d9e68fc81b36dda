import type { ServerResponse } from 'node:http';
import type { Clock, ClockTimer } from '../core/clock.js';
import type { PlatformEvent } from './types.js';

/** One server-sent-events response (HTML Living Standard §9.2, `text/event-stream`). */
export interface SseStream {
  /** Writes one event; false once the stream is closed (or was just closed for being too slow). */
  send(e: PlatformEvent): boolean;
  /** Resolves when the client has taken what was written (or the stream closed). */
  drained(): Promise<void>;
  /** Ends the response cleanly. */
  end(): void;
  readonly closed: boolean;
}

export interface SseOptions {
  clock: Clock;
  /** A comment line this often keeps proxies from timing the stream out. */
  keepaliveMs: number;
  /** Past this many unsent bytes the client is too slow: the stream is dropped (it resumes with Last-Event-ID). */
  maxBufferedBytes: number;
  /** Extra response headers (the request id). */
  headers: Record<string, string | number | string[] | undefined>;
  onSlow: () => void;
  /** Called once, however the stream ends. */
  onClose: () => void;
}

// Each event is serialized once, however many streams carry it.
const frames = new WeakMap<PlatformEvent, string>();

export function sseFrame(e: PlatformEvent): string {
  let frame = frames.get(e);
  if (frame === undefined) {
    // JSON.stringify escapes CR and LF, so the data stays on one line.
    frame = `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
    frames.set(e, frame);
  }
  return frame;
}

export function openSse(res: ServerResponse, o: SseOptions): SseStream {
  let closed = false;
  let timer: ClockTimer | undefined;

  res.socket?.setNoDelay(true);
  res.writeHead(200, {
    ...o.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    // nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });

  const write = (chunk: string): boolean => {
    if (closed) return false;
    res.write(chunk);
    if (res.writableLength > o.maxBufferedBytes) {
      o.onSlow();
      res.destroy();
      return false;
    }
    return true;
  };
  const keepalive = () => {
    timer = o.clock.setTimeout(() => {
      write(': keepalive\n\n');
      if (!closed) keepalive();
    }, o.keepaliveMs);
  };
  res.once('close', () => {
    closed = true;
    if (timer) o.clock.clearTimeout(timer);
    o.onClose();
  });

  write('retry: 3000\n\n');
  keepalive();

  return {
    send: (e) => write(sseFrame(e)),
    drained: () =>
      closed || !res.writableNeedDrain
        ? Promise.resolve()
        : new Promise((resolve) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          }),
    end: () => {
      if (!closed) res.end();
    },
    get closed() {
      return closed;
    },
  };
}

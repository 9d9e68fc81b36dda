/**
 * Test helpers for the outbox tests (not used by the service): a real HTTP receiver on
 * 127.0.0.1 that records every request and answers as the test says, and a poll-until.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { ConfigSchema, type Config } from '../config/schema.js';
import { validate } from '../core/schema.js';

export interface Received {
  method: string;
  /** The request path with its query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Receiver {
  url: string;
  received: Received[];
}

/** Answers each request with `respond(request, index)`; closed with the test. */
export async function startReceiver(t: Test, respond: (r: Received, index: number) => Answer | Promise<Answer>): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body) as unknown;
      } catch {
        json = undefined;
      }
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      const index = received.push(r) - 1;
      void Promise.resolve(respond(r, index)).then((a) => {
        const text = a.body === undefined ? '' : typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received };
}

/** Polls (real time) until `check` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function outboxConfig(overrides: Partial<Config['outbox']> = {}): Config['outbox'] {
  const base = validate(ConfigSchema, {}, { what: 'test configuration' }).outbox;
  return { ...base, pollMs: 1000, backoffBaseMs: 1000, backoffMaxMs: 60_000, maxAgeMs: 3_600_000, leaseMs: 60_000, ...overrides };
}

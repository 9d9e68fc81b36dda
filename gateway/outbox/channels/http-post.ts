import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Clock } from '../../core/clock.js';
import { parseRetryAfter } from '../backoff.js';
import { signBody, signatureHeader, timestampHeader } from '../signature.js';
import type { DeliveryResult, OutboxMessage } from '../types.js';

/** A delivery result with the HTTP status of the answer (stored as the message's last status). */
export type HttpDeliveryResult = DeliveryResult & { status?: number };

export interface HttpTarget {
  url: string;
  /** HMAC-SHA256 key for X-CityOps-Signature; empty: unsigned. */
  secret: string;
  timeoutMs: number;
  clock: Clock;
}

/** What an HTTP channel (webhook, broadcast) is configured with. */
export interface HttpChannelOptions extends HttpTarget {
  name: string;
}

/** A body already serialized, with its media type and any headers of its own (X-CityOps-Kind). */
export interface HttpBody {
  text: string;
  contentType: string;
  headers?: Record<string, string>;
}

export interface HttpAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

const maxAnswerBytes = 64 * 1024;

/**
 * Kept-alive connections, shared by every HTTP channel: a TCP handshake per delivery would cap
 * the outbox at a few hundred messages a second. node:http rather than fetch: on a 2-core
 * machine fetch spends three times the CPU per small POST (bench/district.ts).
 */
const pool = { keepAlive: true, maxSockets: 256, scheduling: 'lifo', timeout: 30_000 } as const; // idle sockets close after 30 s (or the server's Keep-Alive hint)
const agents = { 'http:': new HttpAgent(pool), 'https:': new HttpsAgent(pool) };

/** A delivery that got no answer within the target's timeout. */
class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * POSTs one body with the delivery headers (Idempotency-Key, timestamp, signature over the
 * exact bytes sent). Redirects are not followed: a signed body goes only where it was
 * configured to go. Throws on network errors and timeouts (see `networkFailure`).
 */
export async function postBody(target: HttpTarget, msg: OutboxMessage, body: HttpBody, signal: AbortSignal): Promise<HttpAnswer> {
  const timestamp = String(Math.floor(target.clock.now() / 1000));
  const headers: OutgoingHttpHeaders = {
    ...body.headers,
    'content-type': body.contentType,
    'content-length': Buffer.byteLength(body.text),
    'idempotency-key': msg.key,
    'user-agent': 'cityops-gateway',
    [timestampHeader]: timestamp,
  };
  if (target.secret !== '') headers[signatureHeader] = signBody(target.secret, timestamp, body.text);
  const url = new URL(target.url);
  try {
    return await send('POST', url, headers, body.text, target.timeoutMs, signal);
  } catch (e) {
    // The receiver closed a kept-alive connection just as it was reused (Node's documented
    // race): one more try on a fresh connection. The idempotency key makes a repeat harmless.
    if (!(e instanceof ReusedSocketError)) throw e;
    return send('POST', url, headers, body.text, target.timeoutMs, signal);
  }
}

/** A health check: GET `url` on the same kept-alive connections; the status, or throws (network error, timeout). */
export async function getStatus(url: string, timeoutMs: number, signal: AbortSignal = new AbortController().signal): Promise<number> {
  const headers = { 'user-agent': 'cityops-gateway' };
  const target = new URL(url);
  try {
    return (await send('GET', target, headers, '', timeoutMs, signal)).status;
  } catch (e) {
    if (!(e instanceof ReusedSocketError)) throw e;
    return (await send('GET', target, headers, '', timeoutMs, signal)).status;
  }
}

/** JSON bodies (webhooks, broadcast controllers, subscriptions). */
export function postJson(target: HttpTarget, msg: OutboxMessage, body: unknown, signal: AbortSignal): Promise<HttpAnswer> {
  return postBody(target, msg, { text: JSON.stringify(body), contentType: 'application/json' }, signal);
}

class ReusedSocketError extends Error {}

function send(method: 'GET' | 'POST', url: URL, headers: OutgoingHttpHeaders, text: string, timeoutMs: number, signal: AbortSignal): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const https = url.protocol === 'https:';
    if (!https && url.protocol !== 'http:') return reject(new Error(`not an http(s) URL: ${url.protocol}`));
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const options = { method, headers, agent: https ? agents['https:'] : agents['http:'] };
    const req: ClientRequest = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      readCapped(res).then(
        (answer) => finish(() => resolve({ status: res.statusCode ?? 0, headers: { get: (name) => headerValue(res, name) }, text: answer, json: parseJson(answer) })),
        (e: unknown) => finish(() => reject(e instanceof Error ? e : new Error(String(e)))),
      );
    });
    // The whole exchange, answer included, within the timeout; the connection is dropped.
    const fail = (e: Error) => {
      finish(() => reject(e));
      req.destroy();
    };
    const timer = setTimeout(() => fail(new TimeoutError(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => fail(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && e.code === 'ECONNRESET';
      finish(() => reject(stale ? new ReusedSocketError(e.message, { cause: e }) : e));
    });
    req.end(method === 'POST' ? text : undefined);
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('delivery aborted');
}

function headerValue(res: IncomingMessage, name: string): string | null {
  const v = res.headers[name.toLowerCase()];
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
}

function readCapped(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const text = () => Buffer.concat(chunks).toString('utf8').slice(0, maxAnswerBytes);
    res.on('data', (c: Buffer) => {
      if (size >= maxAnswerBytes) return;
      chunks.push(c);
      size += c.byteLength;
      // Enough to judge the answer; the rest is not read (and the connection not reused).
      if (size >= maxAnswerBytes) res.destroy();
    });
    res.on('end', () => resolve(text()));
    res.on('error', () => undefined); // settled by 'close'
    res.on('close', () => {
      if (res.complete || size >= maxAnswerBytes) resolve(text());
      else reject(new Error('the connection closed before the answer was complete'));
    });
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A non-2xx answer as a failure: 408, 425, 429 and 5xx are worth retrying (honouring
 * Retry-After), other statuses are not (404 included: the URL is wrong, retrying will not fix
 * it). Null for 2xx: the caller reads the body.
 */
export function statusFailure(a: HttpAnswer, nowMs: number): HttpDeliveryResult | null {
  if (a.status >= 200 && a.status < 300) return null;
  const retryable = a.status === 408 || a.status === 425 || a.status === 429 || a.status >= 500;
  const retryAfterMs = retryable ? parseRetryAfter(a.headers.get('retry-after'), nowMs) : undefined;
  const excerpt = a.text.trim().slice(0, 300);
  const error = `HTTP ${a.status}${a.status >= 300 && a.status < 400 ? ' (redirects are not followed)' : ''}${excerpt !== '' ? `: ${excerpt}` : ''}`;
  return { ok: false, retryable, error, status: a.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** Network errors and timeouts: the receiver may be back soon. */
export function networkFailure(e: unknown, timeoutMs: number): HttpDeliveryResult {
  if (e instanceof Error && e.name === 'TimeoutError') return { ok: false, retryable: true, error: `no answer within ${timeoutMs} ms` };
  const err = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, retryable: true, error: typeof code === 'string' && !message.includes(code) ? `${message}: ${code}` : message };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** POST and classify transport and status: a failure to return, or a 2xx answer whose body the channel judges. */
export async function exchangeBody(target: HttpTarget, msg: OutboxMessage, body: HttpBody, signal: AbortSignal): Promise<{ failure: HttpDeliveryResult } | { answer: HttpAnswer }> {
  let answer: HttpAnswer;
  try {
    answer = await postBody(target, msg, body, signal);
  } catch (e) {
    return { failure: networkFailure(e, target.timeoutMs) };
  }
  const failure = statusFailure(answer, target.clock.now());
  return failure ? { failure } : { answer };
}

/** `exchangeBody` with a JSON body. */
export function exchange(target: HttpTarget, msg: OutboxMessage, body: unknown, signal: AbortSignal): Promise<{ failure: HttpDeliveryResult } | { answer: HttpAnswer }> {
  return exchangeBody(target, msg, { text: JSON.stringify(body), contentType: 'application/json' }, signal);
}

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

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

const maxAnswerBytes = 64 * 1024;

/**
 * POSTs one JSON body with the delivery headers (Idempotency-Key, timestamp, signature).
 * Redirects are not followed: a signed body goes only where it was configured to go.
 * Throws on network errors and timeouts (see `networkFailure`).
 */
export async function postJson(target: HttpTarget, msg: OutboxMessage, body: unknown, signal: AbortSignal): Promise<HttpAnswer> {
  const text = JSON.stringify(body);
  const timestamp = String(Math.floor(target.clock.now() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'idempotency-key': msg.key,
    'user-agent': 'cityops-gateway',
    [timestampHeader]: timestamp,
  };
  if (target.secret !== '') headers[signatureHeader] = signBody(target.secret, timestamp, text);
  const res = await fetch(target.url, {
    method: 'POST',
    headers,
    body: text,
    redirect: 'manual',
    signal: AbortSignal.any([signal, AbortSignal.timeout(target.timeoutMs)]),
  });
  const answer = await readCapped(res);
  return { status: res.status, headers: res.headers, text: answer, json: parseJson(answer) };
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= maxAnswerBytes) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, maxAnswerBytes);
}

function parseJson(text: string): unknown {
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
  const cause = e instanceof Error ? (e.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  const message = e instanceof Error ? e.message : String(e);
  return { ok: false, retryable: true, error: detail !== undefined ? `${message}: ${detail}` : message };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** POST and classify transport and status: a failure to return, or a 2xx answer whose body the channel judges. */
export async function exchange(target: HttpTarget, msg: OutboxMessage, body: unknown, signal: AbortSignal): Promise<{ failure: HttpDeliveryResult } | { answer: HttpAnswer }> {
  let answer: HttpAnswer;
  try {
    answer = await postJson(target, msg, body, signal);
  } catch (e) {
    return { failure: networkFailure(e, target.timeoutMs) };
  }
  const failure = statusFailure(answer, target.clock.now());
  return failure ? { failure } : { answer };
}

import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Clock } from '../core/clock.js';
import { exchangeBody, isRecord, type HttpBody, type HttpDeliveryResult } from '../outbox/channels/http-post.js';
import { bodyRefusal } from '../outbox/channels/webhook.js';
import type { Channel, OutboxMessage } from '../outbox/types.js';
import type { EndpointTarget, Endpoints } from './endpoints.js';
import { districtChannelName, type DistrictPayload, type EndpointName } from './types.js';

/**
 * The `district` outbox channel (gateway/district/types.ts has the wire contract): reads the
 * DistrictPayload, POSTs it signed to `{base}{path}` of the endpoint the health tracker names,
 * and judges the answer. Success is a 2xx whose JSON body does not refuse; anything else fails.
 *
 * Every failure is retryable, 4xx and 404 included, unlike the webhook channel: a notifier's 404
 * means a wrong URL that retrying will not fix, but the district link must never drop an
 * accepted case (issue 5 §3). A refused message is retried with backoff until its maximum age
 * (district.maxAgeMs, at least a day), then given up with an alarm, and stays re-sendable; an
 * operator who fixes the district side meanwhile sees it go through without doing anything.
 */

/** What one call to one endpoint came to: delivered, answered but not taken, or no answer (down). */
export type CallOutcome = 'delivered' | 'refused' | 'unavailable';

export interface DistrictChannelOptions {
  endpoints: Endpoints;
  /** district.secret; empty: unsigned. */
  secret: string;
  timeoutMs: number;
  clock: Clock;
  /** Every call to an endpoint, for logs and metrics. */
  onCall?(endpoint: EndpointName, outcome: CallOutcome, msg: OutboxMessage, error: string | null): void;
  /** A message the district took (after its endpoint is marked healthy). */
  onDelivered?(msg: OutboxMessage, payload: DistrictPayload, endpoint: EndpointName, answer: Record<string, unknown> | null): void;
}

const PayloadSchema = Type.Object({
  kind: Type.Enum(['case', 'case_report', 'warning', 'picture', 'shared']),
  path: Type.String({ pattern: '^/' }),
  contentType: Type.Enum(['application/json', 'application/cap+xml']),
  body: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.String()]),
  caseId: Type.Optional(Type.String()),
});
const payloadCheck = Compile(PayloadSchema);

/** The payload as a DistrictPayload, or why it is not one. */
export function districtPayload(p: Record<string, unknown>): DistrictPayload | string {
  if (payloadCheck.Check(p)) return p as DistrictPayload;
  const first = [...payloadCheck.Errors(p)][0];
  return `not a district message: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid payload'}`;
}

function httpBody(p: DistrictPayload): HttpBody {
  return { text: typeof p.body === 'string' ? p.body : JSON.stringify(p.body), contentType: p.contentType, headers: { 'x-cityops-kind': p.kind } };
}

interface Call {
  outcome: CallOutcome;
  result: HttpDeliveryResult;
}

export function districtChannel(opts: DistrictChannelOptions): Channel {
  const { endpoints, clock } = opts;

  async function call(target: EndpointTarget, msg: OutboxMessage, payload: DistrictPayload, body: HttpBody, signal: AbortSignal): Promise<Call> {
    const sent = await exchangeBody({ url: `${target.base}${payload.path}`, secret: opts.secret, timeoutMs: opts.timeoutMs, clock }, msg, body, signal);
    const endpoint = target.name;
    if ('failure' in sent) {
      const f = sent.failure;
      const down = f.status === undefined || f.status >= 500;
      // Retryable whatever the status: see the module comment.
      const result: HttpDeliveryResult = f.ok ? f : { ...f, retryable: true, endpoint };
      return { outcome: down ? 'unavailable' : 'refused', result };
    }
    const { answer } = sent;
    const refusal = bodyRefusal(answer.json);
    if (refusal !== null) return { outcome: 'refused', result: { ok: false, retryable: true, error: `HTTP ${answer.status} but the district refused: ${refusal}`, status: answer.status, endpoint } };
    const receipt = isRecord(answer.json) && answer.text.length <= 4096 ? answer.json : undefined;
    return { outcome: 'delivered', result: { ok: true, status: answer.status, endpoint, ...(receipt ? { receipt } : {}) } };
  }

  return {
    name: districtChannelName,
    type: 'district',
    async deliver(msg, signal): Promise<HttpDeliveryResult> {
      const payload = districtPayload(msg.payload);
      // A malformed payload is our bug, not the district's; it stays pending (and is given up
      // with the alarm at its maximum age) rather than failing quietly.
      if (typeof payload === 'string') return { ok: false, retryable: true, error: payload };
      const route = endpoints.route();
      if (route.length === 0) return { ok: false, retryable: true, error: 'no district endpoint is configured (district.primaryUrl)' };
      const body = httpBody(payload);
      const errors: string[] = [];
      let last: Call | undefined;
      for (const target of route) {
        last = await call(target, msg, payload, body, signal);
        const { outcome, result } = last;
        const atMs = clock.now();
        const error = result.ok ? null : result.error;
        if (outcome === 'delivered') endpoints.succeeded(target.name, atMs);
        else if (outcome === 'unavailable') endpoints.unavailable(target.name, atMs, error ?? '');
        else endpoints.refused(target.name, atMs, error ?? '');
        opts.onCall?.(target.name, outcome, msg, error);
        if (outcome === 'delivered') {
          opts.onDelivered?.(msg, payload, target.name, result.ok ? (result.receipt ?? null) : null);
          return result;
        }
        errors.push(`${target.name}: ${error ?? ''}`);
        // An endpoint that answered has spoken for the district: the next one would say the same.
        if (outcome === 'refused') break;
      }
      const result = (last as Call).result;
      return result.ok ? result : { ...result, error: errors.join('; ') };
    },
  };
}

import type { Clock } from '../core/clock.js';
import { exchange, isRecord, type HttpDeliveryResult } from '../outbox/channels/http-post.js';
import { bodyRefusal } from '../outbox/channels/webhook.js';
import type { Channel, OutboxMessage } from '../outbox/types.js';
import type { Queryable } from '../storage/db.js';
import { subscriptionChannelName } from './schema.js';
import { deliveryTarget } from './store.js';

export interface SubscriptionChannelOptions {
  db: Queryable;
  clock: Clock;
  /** Per POST; default 10 s. */
  timeoutMs?: number;
}

/**
 * The `subscription` outbox channel: POSTs the event (the payload's `event`) to the
 * subscription's URL as it is at delivery time, signed with its current secret (http-post.ts:
 * Idempotency-Key, X-CityOps-Timestamp, X-CityOps-Signature). A disabled or deleted subscription
 * fails for good; non-2xx answers and 2xx bodies that say they failed are failures.
 */
export function subscriptionChannel(opts: SubscriptionChannelOptions): Channel {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    name: subscriptionChannelName,
    type: 'subscription',
    async deliver(msg, signal): Promise<HttpDeliveryResult> {
      const id = subscriptionOf(msg);
      const event = msg.payload['event'];
      if (id === null || !isRecord(event)) return { ok: false, retryable: false, error: 'not a subscription delivery (no subscription id or event in the payload)' };
      const target = await deliveryTarget(opts.db, id);
      if (!target) return { ok: false, retryable: false, error: `subscription ${id} does not exist` };
      if (!target.enabled) return { ok: false, retryable: false, error: `subscription ${id} is disabled` };
      const sent = await exchange({ url: target.url, secret: target.secret, timeoutMs, clock: opts.clock }, msg, event, signal);
      if ('failure' in sent) return sent.failure;
      const { status, json, text } = sent.answer;
      const refused = bodyRefusal(json);
      // A receiver that says no may take it on a later try.
      if (refused !== null) return { ok: false, retryable: true, status, error: `HTTP ${status}, refused: ${refused}` };
      return { ok: true, status, ...(isRecord(json) && text.length <= 4096 ? { receipt: json } : {}) };
    },
  };
}

function subscriptionOf(msg: OutboxMessage): string | null {
  if (msg.subject?.type === 'subscription') return msg.subject.id;
  const id = msg.payload['subscriptionId'];
  return typeof id === 'string' ? id : null;
}

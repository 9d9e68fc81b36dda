import type { Clock } from '../core/clock.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { EventConsumer, PlatformEvent } from '../events/types.js';
import type { Outbox } from '../outbox/types.js';
import type { Queryable } from '../storage/db.js';
import { maskPersonalData } from './mask.js';
import { compileFilter, type EventMatcher } from './matcher.js';
import { subscriptionChannelName, type DeliveredEvent, type SubscriptionPayload } from './schema.js';
import { activeSubscriptions } from './store.js';

export interface SubscriptionConsumerOptions {
  outbox: Pick<Outbox, 'enqueue'>;
  clock: Clock;
  logger: Logger;
  /** Reload the subscriptions at least this often even without a `subscription.*` event (edits made straight in the database); default 60 s. */
  reloadMs?: number;
}

/** Types about subscriptions themselves: they reload the cache and are never delivered. */
export const subscriptionEventPrefix = 'subscription.';

interface Active {
  id: string;
  fromEventId: number;
  matches: EventMatcher;
}

/**
 * The `subscriptions` event consumer (run by the relay, gateway/events/relay.ts): for each event,
 * one outbox message per enabled subscription whose filter it passes, in the relay's transaction
 * (so exactly once per event and subscription). The enabled subscriptions are held in memory and
 * reloaded, inside that transaction, when a page holds a `subscription.changed` event (a change
 * made by any process, in feed order) or the copy is older than `reloadMs`.
 */
export function subscriptionConsumer(opts: SubscriptionConsumerOptions): EventConsumer {
  const log = componentLogger(opts.logger, 'subscriptions');
  const reloadMs = opts.reloadMs ?? 60_000;
  let active: Active[] | null = null;
  let loadedAtMs = 0;

  async function reload(tx: Queryable): Promise<Active[]> {
    const rows = await activeSubscriptions(tx);
    const out: Active[] = [];
    for (const s of rows) {
      try {
        out.push({ id: s.id, fromEventId: s.fromEventId, matches: compileFilter(s.filter) });
      } catch (err) {
        // The API validates filters; a row edited by hand could still be wrong.
        log.error({ subscription: s.id, err: (err as Error).message }, 'subscription filter is invalid; nothing is delivered to it');
      }
    }
    active = out;
    loadedAtMs = opts.clock.now();
    return out;
  }

  return {
    name: 'subscriptions',
    async handle(tx, events) {
      const stale = active === null || opts.clock.now() - loadedAtMs >= reloadMs || events.some((e) => e.type.startsWith(subscriptionEventPrefix));
      const subs = stale ? await reload(tx) : (active ?? []);
      if (subs.length === 0) return;
      for (const e of events) {
        if (e.type.startsWith(subscriptionEventPrefix)) continue;
        let body: DeliveredEvent | undefined;
        for (const s of subs) {
          if (Number(e.id) <= s.fromEventId || !s.matches(e)) continue;
          body ??= deliveredEvent(e);
          const payload: SubscriptionPayload = { subscriptionId: s.id, event: body };
          await opts.outbox.enqueue(tx, {
            channel: subscriptionChannelName,
            key: `sub:${s.id}:${e.id}`,
            orderKey: `sub:${s.id}`,
            subject: { type: 'subscription', id: s.id },
            payload,
          });
        }
      }
    },
  };
}

/** The envelope a subscriber receives: the feed's, without `atMs`, with personal data masked. */
export function deliveredEvent(e: PlatformEvent): DeliveredEvent {
  return {
    id: e.id,
    type: e.type,
    at: e.at,
    subject: e.subject,
    blockCode: e.blockCode,
    grade: e.grade ?? null,
    exercise: e.exercise,
    data: maskPersonalData(e.data),
  };
}

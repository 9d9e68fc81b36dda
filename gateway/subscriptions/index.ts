import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { EventConsumer, EventFeed } from '../events/types.js';
import type { AreaPlugin } from '../http/app.js';
import type { Channel, Outbox } from '../outbox/types.js';
import type { Db } from '../storage/db.js';
import { subscriptionChannel } from './channel.js';
import { subscriptionConsumer } from './consumer.js';
import { subscriptionRoutes } from './routes.js';

export { subscriptionChannel } from './channel.js';
export { subscriptionConsumer, deliveredEvent } from './consumer.js';
export { subscriptionRoutes } from './routes.js';
export { subscriptionChannelName } from './schema.js';

export interface SubscriptionsOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  feed: EventFeed;
  outbox: Outbox;
  /** Per delivery POST; default 10 s. */
  timeoutMs?: number;
}

/** The three parts the service wires: the relay consumer, the outbox channel and the HTTP area. */
export interface Subscriptions {
  consumer: EventConsumer;
  channel: Channel;
  routes: AreaPlugin;
}

/** Webhook subscriptions for the district centre (docs/subscriptions.md). */
export function createSubscriptions(opts: SubscriptionsOptions): Subscriptions {
  return {
    consumer: subscriptionConsumer({ outbox: opts.outbox, clock: opts.clock, logger: opts.logger }),
    channel: subscriptionChannel({ db: opts.db, clock: opts.clock, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) }),
    routes: subscriptionRoutes({ feed: opts.feed, outbox: opts.outbox }),
  };
}

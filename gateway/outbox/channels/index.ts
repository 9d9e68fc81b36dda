import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import type { EventFeed } from '../../events/types.js';
import type { Channel } from '../types.js';
import { broadcastChannel } from './broadcast.js';
import { mqttChannel, type Publish } from './mqtt.js';
import { sseChannel } from './sse.js';
import { webhookChannel } from './webhook.js';

export { broadcastChannel, broadcastCovers, broadcastRequest, type BroadcastRequest } from './broadcast.js';
export { mqttChannel, notificationTopic, defaultNotificationTopic, type Publish } from './mqtt.js';
export { sseChannel } from './sse.js';
export { webhookChannel, bodyRefusal } from './webhook.js';

export interface ChannelDeps {
  clock: Clock;
  /** For `mqtt` channels and the built-in `mqtt`: the broker's publishPlatform. */
  publish?: Publish;
  /** For `sse` channels and the built-in `sse`. */
  feed?: EventFeed;
}

type NotifierConfig = Config['notifiers'][number];

/**
 * The channels the configuration names, plus the built-ins `mqtt` and `sse` (when their
 * dependency is given and no notifier takes the name). Throws GW_ERR_BAD_CONFIG naming the
 * notifier when one cannot work (no URL, duplicate name, no broker or feed for its type).
 */
export function channelsFromConfig(notifiers: readonly NotifierConfig[], deps: ChannelDeps): Channel[] {
  const out = new Map<string, Channel>();
  notifiers.forEach((n, i) => {
    if (out.has(n.name)) throw bad(i, 'name', `notifier name "${n.name}" is used twice`);
    out.set(n.name, build(n, i, deps));
  });
  if (deps.publish && !out.has('mqtt')) out.set('mqtt', mqttChannel({ publish: deps.publish }));
  if (deps.feed && !out.has('sse')) out.set('sse', sseChannel({ feed: deps.feed }));
  return [...out.values()];
}

function build(n: NotifierConfig, i: number, deps: ChannelDeps): Channel {
  switch (n.type) {
    case 'webhook':
      return webhookChannel({ name: n.name, url: httpUrl(n, i), secret: n.secret, timeoutMs: n.timeoutMs, clock: deps.clock });
    case 'broadcast':
      return broadcastChannel({ name: n.name, url: httpUrl(n, i), secret: n.secret, timeoutMs: n.timeoutMs, blocks: n.blocks, clock: deps.clock });
    case 'mqtt':
      if (!deps.publish) throw bad(i, 'type', `notifier "${n.name}" is an mqtt channel but the broker is not running`);
      return mqttChannel({ name: n.name, topic: n.topic, publish: deps.publish, timeoutMs: n.timeoutMs });
    case 'sse':
      if (!deps.feed) throw bad(i, 'type', `notifier "${n.name}" is an sse channel but there is no event feed`);
      return sseChannel({ feed: deps.feed, name: n.name });
  }
}

function httpUrl(n: NotifierConfig, i: number): string {
  let url: URL;
  try {
    url = new URL(n.url);
  } catch {
    throw bad(i, 'url', `notifier "${n.name}" (${n.type}) needs an http(s) url`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(i, 'url', `notifier "${n.name}": url must be http or https, not ${url.protocol}`);
  return n.url;
}

function bad(i: number, field: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_BAD_CONFIG', message, [{ field: `notifiers/${i}/${field}`, message }]);
}

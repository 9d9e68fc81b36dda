import t from 'tap';
import { FakeClock } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import type { EventFeed, NewEvent, PlatformEvent } from '../../events/types.js';
import type { Queryable } from '../../storage/db.js';
import type { OutboxMessage } from '../types.js';
import { channelsFromConfig, mqttChannel, notificationTopic, sseChannel, type Publish } from './index.js';

const clock = new FakeClock();
const signal = new AbortController().signal;
const message = (payload: Record<string, unknown>, subject: OutboxMessage['subject'] = null): OutboxMessage => ({ id: '3', channel: 'mqtt', key: 'w1:orange', payload, orderKey: null, subject, attempts: 0, createdAtMs: clock.now(), state: 'pending' });

function recordingPublish(fail?: Error): { publish: Publish; sent: Array<{ topic: string; json: unknown; qos: number; retain: boolean }> } {
  const sent: Array<{ topic: string; json: unknown; qos: number; retain: boolean }> = [];
  return {
    sent,
    publish: async (topic, payload, opts) => {
      if (fail) throw fail;
      sent.push({ topic, json: JSON.parse(payload.toString('utf8')), ...opts });
    },
  };
}

t.test('mqtt: payload JSON to payload.topic, else the configured topic with {grade}', async (t) => {
  const { publish, sent } = recordingPublish();
  const ch = mqttChannel({ publish });
  t.equal(ch.name, 'mqtt');
  t.same(await ch.deliver(message({ grade: 'orange', text: 'x' }), signal), { ok: true, receipt: { topic: 'cityops/v1/notifications/orange' } });
  await ch.deliver(message({ topic: 'cityops/v1/warnings/red/gas', id: 'w2' }), signal);
  const configured = mqttChannel({ name: 'leaders', topic: 'town/alerts/{grade}', publish });
  await configured.deliver(message({ text: 'no grade' }), signal);
  t.same(sent, [
    { topic: 'cityops/v1/notifications/orange', json: { grade: 'orange', text: 'x' }, qos: 1, retain: false },
    { topic: 'cityops/v1/warnings/red/gas', json: { topic: 'cityops/v1/warnings/red/gas', id: 'w2' }, qos: 1, retain: false },
    { topic: 'town/alerts/none', json: { text: 'no grade' }, qos: 1, retain: false },
  ]);
  t.match(await ch.deliver(message({ topic: 'cityops/+/x' }), signal), { ok: false, retryable: false, error: /not a topic/ });
  t.equal(notificationTopic({ grade: '../x' }, 'a/{grade}'), 'a/none', 'only a plain word becomes a topic level');
});

t.test('mqtt: a failed or stuck publish is retried', async (t) => {
  const failing = mqttChannel({ publish: recordingPublish(new Error('broker closed')).publish });
  t.same(await failing.deliver(message({}), signal), { ok: false, retryable: true, error: 'broker closed' });
  const stuck = mqttChannel({ publish: () => new Promise<void>(() => undefined), timeoutMs: 50 });
  // AbortSignal.timeout's timer does not hold the process open; a broker connection would.
  const keepAlive = setInterval(() => undefined, 1000);
  t.teardown(() => clearInterval(keepAlive));
  t.same(await stuck.deliver(message({}), signal), { ok: false, retryable: true, error: 'publish not completed within 50 ms' });
});

/** A stand-in with the EventFeed contract's shape (the real feed is tested in gateway/events). */
function memoryFeed(fail = false): { feed: EventFeed; events: PlatformEvent[] } {
  const events: PlatformEvent[] = [];
  const tx: Queryable = { query: () => Promise.reject(new Error('not used')) };
  const feed: EventFeed = {
    async transaction(fn) {
      if (fail) throw new Error('database unavailable');
      return fn(tx, async (e: NewEvent) => {
        const ev: PlatformEvent = { ...e, id: String(events.length + 1), at: '', atMs: clock.now(), blockCode: e.blockCode ?? null, grade: e.grade ?? null, exercise: e.exercise ?? false };
        events.push(ev);
        return ev;
      });
    },
    list: () => Promise.resolve(events),
    subscribe: () => () => undefined,
    close: () => Promise.resolve(),
  };
  return { feed, events };
}

t.test('sse: a notification event on the feed', async (t) => {
  const { feed, events } = memoryFeed();
  const ch = sseChannel({ feed });
  const r = await ch.deliver(message({ grade: 'orange', blockCode: '31011500601003012', text: '橙色预警', exercise: true }, { type: 'warning', id: '1' }), signal);
  t.same(r, { ok: true, receipt: { eventId: '1' } });
  t.match(events[0], { type: 'notification', subject: { type: 'delivery', id: '3' }, blockCode: '31011500601003012', grade: 'orange', exercise: true, data: { key: 'w1:orange', subject: { type: 'warning', id: '1' }, payload: { text: '橙色预警' } } });
  await ch.deliver(message({ grade: 'purple' }), signal);
  t.match(events[1], { grade: null, blockCode: null, exercise: false, data: { subject: null } });
  t.match(await sseChannel({ feed: memoryFeed(true).feed }).deliver(message({}), signal), { ok: false, retryable: true, error: 'database unavailable' });
});

t.test('channelsFromConfig builds the configured channels and the built-ins', async (t) => {
  const { publish } = recordingPublish();
  const { feed } = memoryFeed();
  const base = { secret: '', topic: '', timeoutMs: 5000, blocks: [] };
  const channels = channelsFromConfig([
    { ...base, name: 'ops-webhook', type: 'webhook', url: 'http://127.0.0.1:9/hook' },
    { ...base, name: 'block-broadcast', type: 'broadcast', url: 'https://broadcast.example/play', blocks: ['310115006'] },
    { ...base, name: 'leaders', type: 'mqtt', url: '', topic: 'town/{grade}' },
  ], { clock, publish, feed });
  t.same(channels.map((c) => [c.name, c.type]), [['ops-webhook', 'webhook'], ['block-broadcast', 'broadcast'], ['leaders', 'mqtt'], ['mqtt', 'mqtt'], ['sse', 'sse']]);
  t.same(channelsFromConfig([], { clock }).map((c) => c.name), [], 'no built-ins without a broker or a feed');

  const bad = (notifiers: Parameters<typeof channelsFromConfig>[0], deps = { clock }) => {
    try {
      channelsFromConfig(notifiers, deps);
      return null;
    } catch (e) {
      return e instanceof GatewayError ? { code: e.code, field: e.details?.[0]?.field } : e;
    }
  };
  t.same(bad([{ ...base, name: 'x', type: 'webhook', url: '' }]), { code: 'GW_ERR_BAD_CONFIG', field: 'notifiers/0/url' });
  t.same(bad([{ ...base, name: 'x', type: 'broadcast', url: 'ftp://a/b' }]), { code: 'GW_ERR_BAD_CONFIG', field: 'notifiers/0/url' });
  t.same(bad([{ ...base, name: 'x', type: 'webhook', url: 'http://a/' }, { ...base, name: 'x', type: 'webhook', url: 'http://b/' }]), { code: 'GW_ERR_BAD_CONFIG', field: 'notifiers/1/name' });
  t.same(bad([{ ...base, name: 'x', type: 'mqtt', url: '' }]), { code: 'GW_ERR_BAD_CONFIG', field: 'notifiers/0/type' });
  t.same(bad([{ ...base, name: 'x', type: 'sse', url: '' }]), { code: 'GW_ERR_BAD_CONFIG', field: 'notifiers/0/type' });
});

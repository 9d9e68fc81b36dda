import t, { type Test } from 'tap';
import type { AddressInfo } from 'node:net';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { apiKey, asAdmin, testApp, testDb } from '../http/test-support.js';
import { eventMetricNames } from './metrics.js';
import { eventRoutes, type EventRouteOptions } from './routes.js';
import { emitAll, ids, newEvent, sseClient, testFeed } from './test-helpers.js';
import type { PlatformEvent } from './types.js';

t.teardown(stopSharedPostgres);

async function setup(t: Test, routeOpts: EventRouteOptions = {}) {
  const db = await testDb(t);
  const feed = testFeed(t, db);
  const env = await testApp(t, { db, areas: [{ prefix: '/events', plugin: eventRoutes(feed, routeOpts) }] });
  await env.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}/api/v1/events`;
  const gauge = async (name: string) => (await env.metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
  /** Waits until the feed has this many live subscriptions (streams subscribe after their catch-up). */
  const subscribers = async (n: number) => {
    while (feed.stats().subscribers !== n) await new Promise((r) => setTimeout(r, 5));
  };
  return { ...env, feed, base, gauge, subscribers };
}

const parsed = (m: { data?: string }) => JSON.parse(m.data ?? 'null') as PlatformEvent;

t.test('GET /events pages with a cursor and filters by type', async (t) => {
  const { app, feed } = await setup(t);
  const all = await emitAll(feed, ['warning.raised', 'callout.call', 'warning.updated', 'warning.cleared']);
  const get = async (qs: string, headers: Record<string, string> = asAdmin) => app.inject({ url: `/api/v1/events${qs}`, headers });

  const first = await get('?limit=2');
  t.equal(first.statusCode, 200);
  const page1 = first.json<{ events: PlatformEvent[]; next: string }>();
  t.same(ids(page1.events), ids(all.slice(0, 2)));
  t.equal(page1.next, all[1]?.id);
  t.same(page1.events[0], all[0], 'the envelope as emitted');
  const page2 = (await get(`?after=${page1.next}&limit=2`)).json<{ events: PlatformEvent[]; next: string }>();
  t.same(ids(page2.events), ids(all.slice(2)));
  const empty = (await get(`?after=${page2.next}`)).json<{ events: PlatformEvent[]; next: string }>();
  t.same(empty, { events: [], next: page2.next }, 'no news: the cursor stays');

  const typed = (await get('?types=warning.raised,warning.cleared')).json<{ events: PlatformEvent[] }>();
  t.same(typed.events.map((e) => e.type), ['warning.raised', 'warning.cleared']);
  const prefixed = (await get('?types=warning.*')).json<{ events: PlatformEvent[] }>();
  t.same(prefixed.events.map((e) => e.type), ['warning.raised', 'warning.updated', 'warning.cleared']);

  t.equal((await get('?types=warning.%25')).statusCode, 400, 'a malformed filter');
  t.equal((await get('?after=-1')).statusCode, 400, 'a malformed cursor');
  t.equal((await get('', {})).statusCode, 401);
  const viewer = await apiKey(app, { role: 'viewer' });
  const district = await apiKey(app, { role: 'district' });
  const vendor = await apiKey(app, { role: 'vendor', vendor: 'acme' });
  t.equal((await get('', { 'x-api-key': viewer.key })).statusCode, 200);
  t.equal((await get('', { 'x-api-key': district.key })).statusCode, 200);
  t.equal((await get('', { 'x-api-key': vendor.key })).statusCode, 403);

  const doc = (await app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
  t.ok(doc.paths['/api/v1/events']?.get, 'pull is in the OpenAPI document');
  t.ok(doc.paths['/api/v1/events/stream']?.get, 'so is the stream');
});

t.test('the stream delivers live events and keepalives', async (t) => {
  const { feed, base, clock, subscribers } = await setup(t);
  await emitAll(feed, ['warning.raised']);
  const s = await sseClient(`${base}/stream`, asAdmin);
  t.teardown(() => s.close());
  t.equal(s.status, 200);
  t.match(s.headers['content-type'], /^text\/event-stream/);
  t.ok(s.headers['x-request-id'], 'the request id is kept');
  await subscribers(1);
  const [raised, call] = await emitAll(feed, ['warning.updated', 'callout.call']);
  const got = await s.until(2);
  t.same(got.map((m) => [m.id, m.event]), [[raised?.id, 'warning.updated'], [call?.id, 'callout.call']], 'new events only, with id and type');
  t.same(parsed(got[0] ?? {}), raised, 'data is the envelope');
  clock.advance(15_000);
  await s.comment('keepalive');
  t.pass('a keepalive comment after 15 s');
});

t.test('Last-Event-ID resumes with exactly the missed events, then live', async (t) => {
  const { feed, base, subscribers } = await setup(t, { catchUpPage: 2 });
  const before = await emitAll(feed, ['warning.raised', 'warning.updated', 'warning.updated', 'callout.call', 'warning.cleared', 'warning.updated', 'warning.cleared']);
  const s = await sseClient(`${base}/stream?after=${before[0]?.id}&types=warning.*`, { ...asAdmin, 'last-event-id': before[1]?.id ?? '' });
  t.teardown(() => s.close());
  await subscribers(1);
  const after = await emitAll(feed, ['callout.call', 'warning.raised']);
  const got = await s.until(5);
  const expected = [...before.slice(2), ...after].filter((e) => e.type.startsWith('warning.'));
  t.same(got.map((m) => m.id), ids(expected), 'after the header (not ?after), warning.* only, no duplicates');
  const bad = await sseClient(`${base}/stream?types=nope%25`, asAdmin);
  t.equal(bad.status, 400, 'a bad filter answers before the stream opens');
  await bad.ended;
});

t.test('a client that disconnects leaves no subscription behind', async (t) => {
  const { feed, base, gauge, subscribers } = await setup(t);
  const s = await sseClient(`${base}/stream?after=0`, asAdmin);
  await subscribers(1);
  t.equal(await gauge(eventMetricNames.streams), 1);
  s.close();
  await subscribers(0);
  while ((await gauge(eventMetricNames.streams)) !== 0) await new Promise((r) => setTimeout(r, 5));
  t.pass('subscription and stream gauge released');
  await feed.transaction((_tx, emit) => emit(newEvent()));
  t.equal(feed.stats().subscribers, 0);
});

t.test('a client that stops reading is dropped, not buffered without bound', async (t) => {
  const { feed, base, gauge, subscribers } = await setup(t, { maxBufferedBytes: 64 * 1024 });
  const s = await sseClient(`${base}/stream`, asAdmin);
  await subscribers(1);
  s.socket.pause();
  const big = 'x'.repeat(256 * 1024);
  for (let i = 0; i < 200 && feed.stats().subscribers > 0; i++) await feed.transaction((_tx, emit) => emit(newEvent('warning.updated', String(i), { data: { big } })));
  await subscribers(0);
  t.equal(await gauge(eventMetricNames.slowDrops), 1, 'counted');
  s.close();
});

t.test('app.close() ends open streams promptly', async (t) => {
  const { app, feed, base, subscribers } = await setup(t);
  const streams = await Promise.all([sseClient(`${base}/stream`, asAdmin), sseClient(`${base}/stream?after=0`, asAdmin)]);
  await subscribers(2);
  await app.close();
  await Promise.all(streams.map((s) => s.ended));
  t.equal(feed.stats().subscribers, 0, 'subscriptions stopped with the streams');
});

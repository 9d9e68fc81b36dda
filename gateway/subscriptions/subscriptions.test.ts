/**
 * Subscriptions end to end on real parts: PostgreSQL, the event feed and relay, the outbox
 * with its workers, the HTTP API through app.inject(), and real HTTP receivers on 127.0.0.1.
 */
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { FakeClock } from '../core/clock.js';
import { apiKey, asAdmin, testApp, testDb } from '../http/test-support.js';
import { createEventRelay } from '../events/relay.js';
import { testFeed } from '../events/test-helpers.js';
import type { EventFeed, NewEvent, PlatformEvent } from '../events/types.js';
import { createOutbox } from '../outbox/outbox.js';
import { verifySignature } from '../outbox/signature.js';
import { outboxConfig, startReceiver, waitFor, type Answer, type Received } from '../outbox/test-support.js';
import type { Db } from '../storage/db.js';
import { createSubscriptions } from './index.js';
import type { Subscription } from './schema.js';

t.teardown(stopSharedPostgres);

const BLOCK = '310117006001003012';
const SECRET = 'district-shared-secret-0123456789';

async function setup(t: Test, opts: { db?: Db } = {}) {
  const db = opts.db ?? (await testDb(t));
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 2, 0, 0));
  const logger = pino({ level: 'silent' });
  const feed = testFeed(t, db, { clock });
  const outbox = createOutbox({ db, clock, logger, config: outboxConfig({ backoffBaseMs: 1000, backoffMaxMs: 1000 }), random: () => 0.5 });
  const subs = createSubscriptions({ db, clock, logger, feed, outbox, timeoutMs: 2000 });
  outbox.register(subs.channel);
  outbox.start();
  t.teardown(() => outbox.stop());
  const relay = createEventRelay({ db, feed, clock, logger, afterCommit: () => outbox.poke(), pollMs: 500 });
  relay.add(subs.consumer);
  await relay.start();
  t.teardown(() => relay.stop());
  const env = await testApp(t, { db, areas: [{ prefix: '/subscriptions', plugin: subs.routes }] });
  const district = await apiKey(env.app, { name: 'district centre', role: 'district' });
  const other = await apiKey(env.app, { name: 'another district desk', role: 'district' });
  const as = {
    admin: asAdmin,
    district: { 'x-api-key': district.key },
    other: { 'x-api-key': other.key },
  };
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string> = as.district, payload?: unknown) =>
    env.app.inject({ method, url: `/api/v1/subscriptions${url}`, headers, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
  const subscribe = async (body: Record<string, unknown>, headers: Record<string, string> = as.district): Promise<Subscription> => {
    const r = await call('POST', '', headers, { secret: SECRET, ...body });
    if (r.statusCode !== 201) throw new Error(`subscribe: ${r.statusCode} ${r.body}`);
    return r.json<{ subscription: Subscription }>().subscription;
  };
  /** The outbox rows of one subscription, oldest first. */
  const rows = async (id: string) =>
    (await db.query<{ key: string; state: string; last_error: string | null }>("SELECT idem_key AS key, state, last_error FROM outbox WHERE subject_type = 'subscription' AND subject_id = $1 ORDER BY id", [id])).rows;
  /** Hands everything to the consumer, then waits until no delivery is pending. */
  const settle = async () => {
    await relay.drain();
    outbox.poke();
    await waitFor('deliveries to finish', async () => (await db.query("SELECT 1 FROM outbox WHERE state = 'pending' AND next_attempt_ms <= $1", [clock.now()])).rows.length === 0);
  };
  return { db, clock, feed, outbox, relay, env, as, call, subscribe, rows, settle };
}

function emit(feed: EventFeed, e: Partial<NewEvent> & { type: string }): Promise<PlatformEvent> {
  return feed.transaction((_tx, emitOne) => emitOne({ subject: { type: 'warning', id: '1' }, blockCode: BLOCK, grade: 'yellow', data: { warning: { kind: 'waterlogging' } }, ...e }));
}

const signedBy = (secret: string, r: Received, nowMs: number) =>
  verifySignature({ secret, body: r.body, nowMs, timestamp: r.headers['x-cityops-timestamp'] as string, signature: r.headers['x-cityops-signature'] as string });

const typesOf = (rx: { received: Received[] }) => rx.received.map((r) => (r.json as { type: string }).type);

t.test('the API: create, read, change, rotate, delete; the secret never comes back', async (t) => {
  const s = await setup(t);
  const created = await s.call('POST', '', s.as.district, { url: 'https://district.example/hooks/cityops', secret: SECRET, filter: { minGrade: 'orange', types: ['warning.*', 'case.*'] }, description: '区城运中心' });
  t.equal(created.statusCode, 201);
  t.notOk(created.body.includes(SECRET), 'the given secret is not echoed');
  const sub = created.json<{ subscription: Subscription; secret?: string }>();
  t.equal(sub.secret, undefined);
  t.match(sub.subscription, { url: 'https://district.example/hooks/cityops', filter: { minGrade: 'orange', types: ['warning.*', 'case.*'] }, description: '区城运中心', enabled: true, owner: { name: 'district centre' }, disabledAt: null });
  t.match(sub.subscription.owner.id, /^apikey:/);
  const id = sub.subscription.id;

  const made = await s.call('POST', '', s.as.admin, { url: 'http://10.1.2.3:8080/in' });
  t.equal(made.statusCode, 201);
  const generated = made.json<{ subscription: Subscription; secret: string }>();
  t.match(generated.secret, /^[0-9a-f]{64}$/, 'without a secret, one is made and shown once');

  for (const [headers, expected] of [[s.as.district, [id]], [s.as.other, []], [s.as.admin, [id, generated.subscription.id]]] as const) {
    const list = await s.call('GET', '', headers);
    t.equal(list.statusCode, 200);
    t.same(list.json<{ subscriptions: Subscription[] }>().subscriptions.map((x) => x.id), expected);
    t.notOk(list.body.includes(SECRET) || list.body.includes(generated.secret), 'no secret in a list');
  }
  const one = await s.call('GET', `/${id}`);
  t.equal(one.statusCode, 200);
  t.notOk(one.body.includes(SECRET));
  t.equal((await s.call('GET', `/${id}`, s.as.other)).statusCode, 404, 'another district caller does not see it');
  t.equal((await s.call('PATCH', `/${id}`, s.as.other, { description: 'mine now' })).statusCode, 404);
  t.equal((await s.call('DELETE', `/${id}`, s.as.other)).statusCode, 404);
  t.equal((await s.call('POST', `/${id}/test`, s.as.other)).statusCode, 404);
  t.equal((await s.call('GET', `/${id}/deliveries`, s.as.other)).statusCode, 404);
  t.equal((await s.call('GET', `/${id}`, s.as.admin)).statusCode, 200, 'admin sees every one');
  const viewer = await apiKey(s.env.app, { role: 'viewer' });
  t.equal((await s.call('GET', '', { 'x-api-key': viewer.key })).statusCode, 403, 'viewers do not manage subscriptions');
  t.equal((await s.call('GET', '', {})).statusCode, 401);

  s.env.clock.advance(60_000);
  const rotated = await s.call('PATCH', `/${id}`, s.as.district, { secret: 'a-brand-new-secret-value-42', filter: { kinds: ['smoke'] } });
  t.equal(rotated.statusCode, 200);
  t.notOk(rotated.body.includes('a-brand-new-secret-value-42'));
  const after = rotated.json<Subscription>();
  t.not(after.secretSetAt, sub.subscription.secretSetAt, 'rotation is visible by its time');
  t.same(after.filter, { kinds: ['smoke'] }, 'the filter is replaced');

  const removed = await s.call('DELETE', `/${id}`);
  t.equal(removed.statusCode, 200);
  t.match(removed.json<Subscription>(), { enabled: false, disabledAt: /\+08:00$/ });
  t.equal((await s.call('GET', '?enabled=true')).json<{ subscriptions: Subscription[] }>().subscriptions.length, 0);
  t.equal((await s.call('POST', `/${id}/test`)).statusCode, 409, 'a disabled subscription cannot be tested');
  const enabled = await s.call('PATCH', `/${id}`, s.as.district, { enabled: true });
  t.match(enabled.json<Subscription>(), { enabled: true, disabledAt: null }, 'and can be enabled again');

  const audit = await s.db.query<{ action: string; text: string }>("SELECT action, coalesce(before::text, '') || coalesce(after::text, '') AS text FROM audit_log WHERE target_type = 'subscription' ORDER BY id");
  t.same(audit.rows.map((r) => r.action), ['subscription.create', 'subscription.create', 'subscription.update', 'subscription.disable', 'subscription.update']);
  t.notOk(audit.rows.some((r) => r.text.includes(SECRET) || r.text.includes('a-brand-new-secret') || r.text.includes(generated.secret)), 'no secret in the audit log');
  const doc = (await s.env.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
  t.ok(doc.paths['/api/v1/subscriptions/{id}/deliveries']?.get && doc.paths['/api/v1/subscriptions']?.post, 'in the OpenAPI document');
  const changes = await s.feed.list({ types: ['subscription.*'] });
  t.same(changes.map((e) => e.data['change']), ['created', 'created', 'updated', 'disabled', 'updated'], 'each change is on the feed');
  t.same(Object.keys(changes[0]?.data ?? {}).sort(), ['change', 'subscriptionId'], 'with ids only');
});

t.test('bad input is refused and names the problem', async (t) => {
  const s = await setup(t);
  const bad = async (body: Record<string, unknown>, field: RegExp) => {
    const r = await s.call('POST', '', s.as.district, { url: 'https://district.example/in', secret: SECRET, ...body });
    t.equal(r.statusCode, 400, JSON.stringify(body));
    t.match(r.json(), { error: { code: 'GW_ERR_VALIDATION', details: [{ field }] } });
    return r;
  };
  const creds = await bad({ url: 'https://admin:hunter2hunter2@district.example/in' }, /url/);
  t.notOk(creds.body.includes('hunter2'), 'credentials in a URL are not echoed');
  await bad({ url: 'ftp://district.example/in' }, /url/);
  await bad({ secret: 'short' }, /secret/);
  await bad({ filter: { types: ['warning.%'] } }, /types/);
  await bad({ filter: { minGrade: 'purple' } }, /minGrade/);
  await bad({ filter: { blocks: ['31-01'] } }, /blocks/);
  await bad({ filter: { colour: 'red' } }, /filter/);
  t.equal((await s.call('PATCH', '/1', s.as.district, {})).statusCode, 400, 'an empty patch');
  t.equal((await s.call('GET', '/99')).statusCode, 404);
});

t.test('filters by grade, kind, block and type; signed deliveries; nothing from before; contacts masked', async (t) => {
  const s = await setup(t);
  const early = await emit(s.feed, { type: 'warning.raised', grade: 'red' });
  const rx: Record<string, Awaited<ReturnType<typeof startReceiver>>> = {};
  const subs: Record<string, Subscription> = {};
  const filters = { grade: { minGrade: 'orange' }, kind: { kinds: ['smoke'] }, block: { blocks: ['310117006'] }, type: { types: ['case.*'] }, all: {} };
  for (const [name, filter] of Object.entries(filters)) {
    rx[name] = await startReceiver(t, () => ({ status: 200, body: { ok: true } }));
    subs[name] = await s.subscribe({ url: rx[name]?.url, filter });
  }
  const events = [
    await emit(s.feed, { type: 'warning.raised', grade: 'yellow' }),
    await emit(s.feed, { type: 'warning.updated', grade: 'red', blockCode: '310118000001' }),
    await emit(s.feed, { type: 'warning.raised', grade: 'blue', blockCode: null, data: { warning: { kind: 'smoke' } } }),
    await emit(s.feed, {
      type: 'case.opened', subject: { type: 'case', id: '7' }, grade: 'orange',
      data: { case: { id: '7', kind: 'waterlogging', description: '市民来电 13812345678 报告积水' }, by: '张三', contacts: [{ name: '李四', phone: '13900001111' }] },
    }),
    await emit(s.feed, { type: 'callout.call', grade: null, data: { warningId: '1', personId: 'officer-a' } }),
  ];
  await s.settle();
  const [yellow, red, smoke, kase, call] = events.map((e) => e.type + '#' + e.id);
  const got = (name: string) => (rx[name]?.received ?? []).map((r) => { const j = r.json as { type: string; id: string }; return `${j.type}#${j.id}`; });
  t.same(got('grade'), [red, kase], 'minGrade orange');
  t.same(got('kind'), [smoke], 'kinds smoke');
  t.same(got('block'), [yellow, kase, call], 'block prefix');
  t.same(got('type'), [kase], 'types case.*');
  t.same(got('all'), [yellow, red, smoke, kase, call], 'an empty filter: everything from its creation on, in order');
  t.notOk(got('all').includes(`warning.raised#${early.id}`), 'nothing from before it was created');
  t.notOk(typesOf(rx['all'] ?? { received: [] }).some((x) => x.startsWith('subscription.')), 'its own changes are not delivered');

  const r = rx['grade']?.received[1];
  if (!r) throw new Error('no case delivery');
  t.ok(signedBy(SECRET, r, s.clock.now()), 'the signature verifies with the subscription secret');
  t.notOk(signedBy('another-secret-0123456789', r, s.clock.now()), 'and not with another');
  t.notOk(signedBy(SECRET, { ...r, body: r.body.replace('orange', 'red') }, s.clock.now()), 'a tampered body fails');
  t.equal(r.headers['idempotency-key'], `sub:${subs['grade']?.id}:${events[3]?.id}`);
  const body = r.json as Record<string, unknown>;
  t.same(Object.keys(body).sort(), ['at', 'blockCode', 'data', 'exercise', 'grade', 'id', 'subject', 'type']);
  t.match(body, { id: events[3]?.id, type: 'case.opened', subject: { type: 'case', id: '7' }, grade: 'orange', blockCode: BLOCK, exercise: false, at: /\+08:00$/ });
  for (const leak of ['13812345678', '张三', '李四', '13900001111']) t.notOk(r.body.includes(leak), `no ${leak} leaves the gateway`);
  t.match(body, { data: { case: { description: '市民来电 138****5678 报告积水' }, by: '张*', contacts: [{ name: '李*', phone: '139****1111' }] } });

  const deliveries = await s.call('GET', `/${subs['grade']?.id}/deliveries`);
  t.equal(deliveries.statusCode, 200);
  t.same(deliveries.json<{ deliveries: Array<{ state: string; key: string; channel: string }> }>().deliveries.map((d) => [d.channel, d.state, d.key]), [
    ['subscription', 'delivered', `sub:${subs['grade']?.id}:${events[3]?.id}`],
    ['subscription', 'delivered', `sub:${subs['grade']?.id}:${events[1]?.id}`],
  ], 'delivery state per subscription, newest first');
});

t.test('a disabled subscription stops: nothing new is queued, pending deliveries fail; refusals are retried', async (t) => {
  const s = await setup(t);
  let answer: Answer = { status: 200, body: { ok: true } };
  const rx = await startReceiver(t, () => answer);
  const sub = await s.subscribe({ url: rx.url });
  const first = await emit(s.feed, { type: 'warning.raised' });
  await s.settle();
  t.same(rx.received.map((r) => (r.json as { id: string }).id), [first.id]);

  answer = { status: 200, body: { ok: false, error: 'queue full' } };
  const second = await emit(s.feed, { type: 'warning.updated' });
  await s.settle();
  t.equal(rx.received.length, 2, 'tried');
  t.match(await s.rows(sub.id), [{ state: 'delivered' }, { state: 'pending', last_error: /refused: queue full/ }], 'a 2xx that says no is a failure, retried');

  t.equal((await s.call('DELETE', `/${sub.id}`)).statusCode, 200);
  await emit(s.feed, { type: 'warning.cleared' });
  await s.settle();
  t.equal((await s.rows(sub.id)).length, 2, 'nothing queued after it was disabled');
  answer = { status: 200, body: { ok: true } };
  s.clock.advance(1000);
  s.outbox.poke();
  await waitFor('the pending delivery to fail', async () => (await s.rows(sub.id))[1]?.state === 'failed');
  t.match((await s.rows(sub.id))[1], { key: `sub:${sub.id}:${second.id}`, last_error: `subscription ${sub.id} is disabled` });
  t.equal(rx.received.length, 2, 'and it was not sent');
});

t.test('a test ping is signed and shows in the deliveries', async (t) => {
  const s = await setup(t);
  const rx = await startReceiver(t, () => ({ status: 204 }));
  const made = await s.call('POST', '', s.as.district, { url: rx.url });
  const { subscription: sub, secret } = made.json<{ subscription: Subscription; secret: string }>();
  const ping = await s.call('POST', `/${sub.id}/test`);
  t.equal(ping.statusCode, 202);
  t.match(ping.json(), { channel: 'subscription', state: 'pending', subject: { type: 'subscription', id: sub.id } });
  await s.settle();
  const got = rx.received[0];
  if (!got) throw new Error('no ping');
  t.match(got.json, { type: 'subscription.test', subject: { type: 'subscription', id: sub.id }, exercise: true });
  t.ok(signedBy(secret, got, s.clock.now()), 'signed with the generated secret');
  const list = (await s.call('GET', `/${sub.id}/deliveries?state=delivered`)).json<{ deliveries: Array<{ key: string }> }>();
  t.match(list.deliveries, [{ key: new RegExp(`^sub:${sub.id}:test:`) }]);
});

t.test('a subscription made by another process is picked up from its event, in feed order', async (t) => {
  const s = await setup(t);
  // The other process: its own feed and API on the same database.
  const otherFeed = testFeed(t, s.db, { clock: s.clock });
  const other = createSubscriptions({ db: s.db, clock: s.clock, logger: pino({ level: 'silent' }), feed: otherFeed, outbox: s.outbox });
  const otherApp = await testApp(t, { db: s.db, areas: [{ prefix: '/subscriptions', plugin: other.routes }] });
  await emit(s.feed, { type: 'warning.raised' });
  await s.relay.drain(); // the matcher has loaded (no subscriptions yet)

  const rx = await startReceiver(t, () => ({ status: 200 }));
  const r = await otherApp.app.inject({ method: 'POST', url: '/api/v1/subscriptions', headers: asAdmin, payload: { url: rx.url, secret: SECRET } });
  t.equal(r.statusCode, 201);
  const sub = r.json<{ subscription: Subscription }>().subscription;
  const next = await emit(otherFeed, { type: 'warning.updated' });
  s.clock.advance(500); // this process's poll finds the other's events
  await waitFor('the delivery', () => rx.received.length === 1);
  t.same(typesOf(rx), ['warning.updated']);
  t.equal((rx.received[0]?.json as { id: string }).id, next.id);
  t.equal(sub.fromEventId, String(Number(next.id) - 1), 'it starts after its own creation event');
});

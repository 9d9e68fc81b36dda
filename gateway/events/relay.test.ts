import t, { type Test } from 'tap';
import { pino } from 'pino';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { FakeClock } from '../core/clock.js';
import { testDb } from '../http/test-support.js';
import type { Db, Queryable } from '../storage/db.js';
import { waitFor } from '../outbox/test-support.js';
import { createEventRelay, type EventRelayOptions } from './relay.js';
import { emitAll, ids, newEvent, openTransaction, testFeed } from './test-helpers.js';
import type { EventConsumer, EventFeed, EventRelay, PlatformEvent } from './types.js';

t.teardown(stopSharedPostgres);

/**
 * A consumer that writes what it handles into `relay_seen` (event id primary key: a second
 * handling of one event fails loudly), in the relay's transaction, and can be told to fail.
 */
function recorder(name: string, opts: { types?: string[]; fail?: () => boolean } = {}): EventConsumer & { pages: number } {
  const c = {
    name,
    pages: 0,
    ...(opts.types ? { types: opts.types } : {}),
    async handle(tx: Queryable, events: readonly PlatformEvent[]) {
      c.pages++;
      for (const e of events) await tx.query('INSERT INTO relay_seen (consumer, event_id, type) VALUES ($1, $2, $3)', [name, e.id, e.type]);
      if (opts.fail?.()) throw new Error(`${name} failed on purpose`);
    },
  };
  return c;
}

async function setup(t: Test) {
  const db = await testDb(t);
  await db.query('CREATE TABLE relay_seen (consumer text NOT NULL, event_id bigint NOT NULL, type text NOT NULL, PRIMARY KEY (consumer, event_id))');
  const clock = new FakeClock(Date.UTC(2026, 5, 1));
  const feed = testFeed(t, db, { clock });
  return { db, clock, feed };
}

function relayOn(t: Test, o: { db: Db; feed: EventFeed; clock: FakeClock }, consumers: EventConsumer[], extra: Partial<EventRelayOptions> = {}): EventRelay {
  const relay = createEventRelay({ db: o.db, feed: o.feed, clock: o.clock, logger: pino({ level: 'silent' }), ...extra });
  for (const c of consumers) relay.add(c);
  t.teardown(() => relay.stop());
  return relay;
}

async function seen(db: Db, consumer: string): Promise<string[]> {
  const r = await db.query<{ event_id: string }>('SELECT event_id::text FROM relay_seen WHERE consumer = $1 ORDER BY relay_seen.event_id', [consumer]);
  return r.rows.map((x) => x.event_id);
}

async function cursor(db: Db, consumer: string): Promise<string | undefined> {
  const r = await db.query<{ last_id: string }>('SELECT last_id::text FROM event_cursors WHERE consumer = $1', [consumer]);
  return r.rows[0]?.last_id;
}

t.test('a new consumer starts at the end of the feed, then handles each new event once', async (t) => {
  const s = await setup(t);
  const before = await emitAll(s.feed, ['warning.raised', 'warning.updated']);
  let pokes = 0;
  const c = recorder('subscriptions');
  const relay = relayOn(t, s, [c], { afterCommit: () => pokes++ });
  await relay.start();
  await relay.drain();
  t.same(await seen(s.db, 'subscriptions'), [], 'what was there before it existed is not handled');
  t.equal(await cursor(s.db, 'subscriptions'), before[1]?.id, 'its cursor starts at the last event');
  t.equal(pokes, 0, 'nothing handled, nothing poked');

  const after = await emitAll(s.feed, ['warning.cleared', 'callout.call', 'case.opened']);
  await relay.drain();
  t.same(await seen(s.db, 'subscriptions'), ids(after));
  t.equal(await cursor(s.db, 'subscriptions'), after[2]?.id);
  t.ok(pokes >= 1, 'afterCommit runs after a page is handled');
  await relay.drain();
  t.same(await seen(s.db, 'subscriptions'), ids(after), 'a second drain handles nothing again');
});

t.test('it follows the feed live, without polling', async (t) => {
  const s = await setup(t);
  const c = recorder('live');
  const relay = relayOn(t, s, [c], { pollMs: 3_600_000 });
  await relay.start();
  const [e] = await emitAll(s.feed, ['warning.raised']);
  await waitFor('the live event to be handled', async () => (await seen(s.db, 'live')).length === 1);
  t.same(await seen(s.db, 'live'), [e?.id]);
});

t.test('a crash in handle advances nothing; the page is handled once after a restart', async (t) => {
  const s = await setup(t);
  let failing = true;
  const broken = recorder('forwarder', { fail: () => failing });
  const relay = relayOn(t, s, [broken], { retryBaseMs: 60_000 });
  await relay.start();
  const start = await cursor(s.db, 'forwarder');
  const events = await emitAll(s.feed, ['case.opened', 'case.status', 'warning.raised']);
  await t.rejects(relay.drain(), /failed on purpose/, 'drain reports the failure');
  t.same(await seen(s.db, 'forwarder'), [], 'what handle wrote rolled back with the page');
  t.equal(await cursor(s.db, 'forwarder'), start, 'the cursor did not move');
  await relay.stop();

  // The process restarts with the fault gone.
  failing = false;
  const fixed = recorder('forwarder');
  const again = relayOn(t, s, [fixed]);
  await again.start();
  await again.drain();
  t.same(await seen(s.db, 'forwarder'), ids(events), 'every event handled, once');
  t.equal(await cursor(s.db, 'forwarder'), events[2]?.id);
});

t.test('a failing consumer retries with backoff and does not hold up the others', async (t) => {
  const s = await setup(t);
  let failing = true;
  const bad = recorder('bad', { fail: () => failing });
  const good = recorder('good');
  const relay = relayOn(t, s, [bad, good], { retryBaseMs: 1000, retryMaxMs: 8000, pollMs: 3_600_000 });
  await relay.start();
  const events = await emitAll(s.feed, ['warning.raised', 'warning.updated']);
  await t.rejects(relay.drain());
  t.same(await seen(s.db, 'good'), ids(events), 'the healthy consumer went on');
  t.same(await seen(s.db, 'bad'), []);
  const pagesBefore = bad.pages;
  await emitAll(s.feed, ['warning.cleared']);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(bad.pages, pagesBefore, 'while it backs off, new events do not wake it');

  failing = false;
  // Each failure doubles the wait (the live wake-up and the drain both failed): at most retryMaxMs.
  s.clock.advance(8000);
  await waitFor('the retry after the backoff', async () => (await seen(s.db, 'bad')).length === 3);
  t.same(await seen(s.db, 'bad'), await seen(s.db, 'good'), 'nothing was skipped');
});

t.test('a drain that succeeds during the backoff ends it: live events flow again at once', async (t) => {
  const s = await setup(t);
  let failing = true;
  const c = recorder('healed', { fail: () => failing });
  const relay = relayOn(t, s, [c], { retryBaseMs: 60_000, pollMs: 3_600_000 });
  await relay.start();
  await emitAll(s.feed, ['warning.raised']);
  await t.rejects(relay.drain());
  failing = false;
  await relay.drain();
  const [live] = await emitAll(s.feed, ['warning.updated']);
  await waitFor('the live event', async () => (await seen(s.db, 'healed')).includes(live?.id ?? ''));
  t.equal((await seen(s.db, 'healed')).length, 2);
});

t.test('type filters: only matching events are handed over, the cursor moves past the rest', async (t) => {
  const s = await setup(t);
  const cases = recorder('cases', { types: ['case.*', 'warning.cleared'] });
  const relay = relayOn(t, s, [cases], { pageSize: 2 });
  await relay.start();
  const events = await emitAll(s.feed, ['warning.raised', 'case.opened', 'callout.call', 'warning.cleared', 'case.status', 'rule.activated', 'rule.disabled']);
  await relay.drain();
  const r = await s.db.query<{ type: string }>("SELECT type FROM relay_seen WHERE consumer = 'cases' ORDER BY event_id");
  t.same(r.rows.map((x) => x.type), ['case.opened', 'warning.cleared', 'case.status']);
  t.equal(await cursor(s.db, 'cases'), events[6]?.id, 'the cursor is past the last event, wanted or not');
  t.throws(() => createEventRelay({ ...s, logger: pino({ level: 'silent' }) }).add(recorder('x', { types: ['case.%'] })), { code: 'GW_ERR_VALIDATION' });
});

t.test('a page never reaches past a lower id still in flight', async (t) => {
  const s = await setup(t);
  const c = recorder('ordered');
  const relay = relayOn(t, s, [c]);
  await relay.start();
  const open = await openTransaction(s.feed, ['warning.raised']);
  const [later] = await emitAll(s.feed, ['warning.updated']);
  await relay.drain();
  t.same(await seen(s.db, 'ordered'), [], 'the committed higher id waits for the open lower one');
  await open.commit();
  await relay.drain();
  t.same(await seen(s.db, 'ordered'), [open.events[0]?.id, later?.id], 'both, in id order');
});

t.test('two relays on one database (two processes) handle each event exactly once', async (t) => {
  const s = await setup(t);
  const feedB = testFeed(t, s.db, { clock: s.clock });
  const a = relayOn(t, s, [recorder('shared'), recorder('only-a')], { pageSize: 3 });
  const b = relayOn(t, { ...s, feed: feedB }, [recorder('shared')], { pageSize: 3 });
  await a.start();
  await b.start();
  const emitted: PlatformEvent[] = [];
  const emitter = async (feed: EventFeed, n: number) => {
    for (let i = 0; i < n; i++) emitted.push(await feed.transaction((_tx, emit) => emit(newEvent(i % 2 ? 'warning.updated' : 'case.status', String(i)))));
  };
  // Both processes emit and relay at the same time.
  await Promise.all([emitter(s.feed, 40), emitter(feedB, 40), a.drain(), b.drain(), a.drain(), b.drain()]);
  await Promise.all([a.drain(), b.drain()]);
  await Promise.all([a.drain(), b.drain()]);
  const all = emitted.map((e) => e.id).sort((x, y) => Number(x) - Number(y));
  t.same(await seen(s.db, 'shared'), all, 'every event once (a second handling would break the primary key)');
  t.same(await seen(s.db, 'only-a'), all);
});

t.test('events another process wrote are found by the poll', async (t) => {
  const s = await setup(t);
  const other = testFeed(t, s.db, { clock: s.clock });
  const c = recorder('polled');
  const relay = relayOn(t, s, [c], { pollMs: 500 });
  await relay.start();
  const [e] = await other.transaction(async (_tx, emit) => [await emit(newEvent('warning.raised'))]);
  await new Promise((r) => setTimeout(r, 50));
  t.same(await seen(s.db, 'polled'), [], 'this process did not see it live');
  s.clock.advance(500);
  await waitFor('the poll to pick it up', async () => (await seen(s.db, 'polled')).length === 1);
  t.same(await seen(s.db, 'polled'), [e?.id]);
});

t.test('consumer names are checked', async (t) => {
  const s = await setup(t);
  const relay = createEventRelay({ ...s, logger: pino({ level: 'silent' }) });
  t.throws(() => relay.add(recorder('has space')), { code: 'GW_ERR_VALIDATION' });
  relay.add(recorder('one'));
  t.throws(() => relay.add(recorder('one')), { code: 'GW_ERR_CONFLICT' });
  await relay.start();
  t.throws(() => relay.add(recorder('late')), /after start/);
  await relay.stop();
});

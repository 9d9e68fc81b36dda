import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { testDb } from '../http/test-support.js';
import { migrationsSubset, pgliteTestDb } from '../storage/testing.js';
import { collector, emitAll, ids, newEvent, openTransaction, testFeed } from './test-helpers.js';

t.teardown(stopSharedPostgres);

/** Lets pending promise callbacks and socket reads run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

t.test('emit stores the envelope; list pages by cursor', async (t) => {
  const db = await testDb(t);
  const feed = testFeed(t, db);
  const first = await feed.transaction((_tx, emit) => emit(newEvent('warning.raised', '42', { exercise: true })));
  t.match(first, { type: 'warning.raised', subject: { type: 'warning', id: '42' }, blockCode: '310117006001003012', grade: 'yellow', exercise: true, data: { level: 1 }, atMs: Date.UTC(2026, 0, 1), at: '2026-01-01T08:00:00.000+08:00' });
  const rest = await emitAll(feed, ['warning.updated', 'warning.cleared', 'callout.call', 'warning.updated']);
  const all = [first, ...rest];
  t.same(await feed.list({}), all, 'list from the start returns what emit returned');
  const page1 = await feed.list({ limit: 2 });
  t.same(ids(page1), ids(all.slice(0, 2)));
  const page2 = await feed.list({ after: page1[1]?.id, limit: 2 });
  t.same(ids(page2), ids(all.slice(2, 4)));
  const page3 = await feed.list({ after: page2[1]?.id, limit: 2 });
  t.same(ids(page3), ids(all.slice(4)));
  t.same(await feed.list({ after: page3[0]?.id }), [], 'nothing after the last');
  t.ok(Number(all[4]?.id) > Number(all[0]?.id), 'ids increase');
  await t.rejects(feed.list({ after: 'x1' }), { code: 'GW_ERR_VALIDATION' });
});

t.test('type filters: exact names, prefixes, everything', async (t) => {
  const db = await testDb(t);
  const feed = testFeed(t, db);
  const all = await emitAll(feed, ['warning.raised', 'callout.call', 'warning.cleared', 'rule.activated', 'warning_x.raised', 'warningzx.raised', 'notification']);
  const types = async (q: string[]) => (await feed.list({ types: q })).map((e) => e.type);
  t.same(await types(['warning.raised', 'rule.activated']), ['warning.raised', 'rule.activated']);
  t.same(await types(['warning.*']), ['warning.raised', 'warning.cleared'], 'a prefix stops at the dot');
  t.same(await types(['warning.*', 'callout.call']), ['warning.raised', 'callout.call', 'warning.cleared']);
  t.same(await types(['notification']), ['notification'], 'a one-word type');
  t.same(await types(['*']), all.map((e) => e.type));
  t.same(await types(['warning_x.*']), ['warning_x.raised'], 'an underscore is not a LIKE wildcard');
  await t.rejects(feed.list({ types: ['warning.%'] }), { code: 'GW_ERR_VALIDATION' });
  await t.rejects(feed.transaction((_tx, emit) => emit(newEvent('Warning Raised'))), { code: 'GW_ERR_VALIDATION' });
});

t.test('a later id committed first waits for the lower one', async (t) => {
  const db = await testDb(t);
  const feed = testFeed(t, db);
  const seen = collector();
  feed.subscribe({ after: '0' }, seen.listener);
  const slow = await openTransaction(feed, ['warning.raised']);
  const fast = await feed.transaction((_tx, emit) => emit(newEvent('warning.updated')));
  t.ok(Number(fast.id) > Number(slow.events[0]?.id), 'the committed event has the higher id');
  await settle();
  t.same(seen.events, [], 'the subscriber holds the higher id back');
  t.same(await feed.list({}), [], 'list does not return the higher id either');
  await slow.commit();
  await seen.until(2);
  t.same(ids(seen.events), [slow.events[0]?.id, fast.id], 'both, in id order');
  t.same(ids(await feed.list({})), ids(seen.events));
  t.equal(feed.stats().inFlight, 0);
});

t.test('a rollback leaves no event and does not stall the horizon', async (t) => {
  const db = await testDb(t);
  const feed = testFeed(t, db);
  const seen = collector();
  feed.subscribe({ after: '0' }, seen.listener);
  const doomed = await openTransaction(feed, ['warning.raised', 'warning.updated']);
  const kept = await feed.transaction((_tx, emit) => emit(newEvent('callout.call')));
  await settle();
  t.same(seen.events, []);
  await doomed.rollback();
  await seen.until(1);
  t.same(ids(seen.events), [kept.id]);
  t.same(ids(await feed.list({})), [kept.id], 'the rolled-back events are not in the table');
  const later = await feed.transaction((_tx, emit) => emit(newEvent('callout.reminder')));
  await seen.until(2);
  t.same(ids(seen.events), [kept.id, later.id], 'later events flow');
  await t.rejects(feed.transaction(async (_tx, emit) => {
    await emit(newEvent());
    throw new Error('boom');
  }), /boom/);
  t.equal(feed.stats().inFlight, 0);
});

t.test('pull stops where another process still has a lower id open', async (t) => {
  const db = await testDb(t);
  const here = testFeed(t, db);
  const elsewhere = testFeed(t, db);
  const open = await openTransaction(elsewhere, ['warning.raised']);
  const mine = await here.transaction((_tx, emit) => emit(newEvent('warning.updated')));
  t.ok(Number(mine.id) > Number(open.events[0]?.id));
  t.same(await here.list({}), [], 'the other process knows nothing in memory, the locks tell');
  await open.commit();
  t.same(ids(await here.list({})), [open.events[0]?.id, mine.id]);
  const doomed = await openTransaction(elsewhere, ['warning.raised']);
  const next = await here.transaction((_tx, emit) => emit(newEvent('warning.cleared')));
  t.same(ids(await here.list({ after: mine.id })), []);
  await doomed.rollback();
  t.same(ids(await here.list({ after: mine.id })), [next.id], 'a rollback elsewhere releases the bound');
});

t.test('subscribe replays in pages, then goes live without gaps or duplicates', async (t) => {
  const db = await testDb(t);
  const feed = testFeed(t, db, { replayPageSize: 3 });
  const before = await emitAll(feed, Array.from({ length: 10 }, () => 'warning.updated'));
  const seen = collector();
  feed.subscribe({ after: before[1]?.id }, seen.listener);
  // Emit while the replay runs: each event arrives exactly once, in order.
  const during = await Promise.all(Array.from({ length: 20 }, (_, i) => feed.transaction((_tx, emit) => emit(newEvent('warning.updated', String(i))))));
  await seen.until(28);
  const expected = [...before.slice(2), ...during].map((e) => Number(e.id)).sort((a, b) => a - b).map(String);
  t.same(ids(seen.events), expected);
  const after = await feed.transaction((_tx, emit) => emit(newEvent('warning.cleared')));
  await seen.until(29);
  t.same(seen.events.at(-1)?.id, after.id);
  t.equal(seen.events.length, 29, 'no duplicates');
});

t.test('subscribe without a cursor is live only; filters apply; stop ends delivery', async (t) => {
  const db = await testDb(t);
  const feed = testFeed(t, db);
  await emitAll(feed, ['warning.raised']);
  const seen = collector();
  const stop = feed.subscribe({ types: ['callout.*'] }, seen.listener);
  const bad = feed.subscribe({}, () => {
    throw new Error('listener bug');
  });
  const evs = await emitAll(feed, ['warning.updated', 'callout.call', 'callout.escalated']);
  await seen.until(2);
  t.same(ids(seen.events), [evs[1]?.id, evs[2]?.id], 'a throwing listener does not stop the others');
  t.equal(feed.stats().subscribers, 2);
  stop();
  bad();
  t.equal(feed.stats().subscribers, 0, 'stopped subscriptions are dropped');
  await emitAll(feed, ['callout.call']);
  await settle();
  t.equal(seen.events.length, 2);
  t.throws(() => feed.subscribe({ types: ['bad type'] }, seen.listener), { code: 'GW_ERR_VALIDATION' });
});

t.test('close stops subscriptions and refuses new transactions', async (t) => {
  const db = await testDb(t);
  const feed = testFeed(t, db);
  feed.subscribe({ after: '0' }, () => undefined);
  await feed.close();
  t.equal(feed.stats().subscribers, 0);
  await t.rejects(feed.transaction((_tx, emit) => emit(newEvent())), { code: 'GW_ERR_NOT_READY' });
});

t.test('works on the embedded database (PGlite)', async (t) => {
  const db = await pgliteTestDb(t, { timescale: false, migrations: migrationsSubset(t, ['005_events']) });
  const feed = testFeed(t, db);
  const seen = collector();
  feed.subscribe({ after: '0' }, seen.listener);
  const all = await emitAll(feed, ['warning.raised', 'warning.cleared']);
  t.same(await feed.list({}), all);
  t.same(ids(await seen.until(2)), ids(all));
});

t.test('a transaction holds one feed lock however many events it emits', async (t) => {
  const db = await testDb(t);
  const feed = testFeed(t, db);
  const locks = await feed.transaction(async (tx, emit) => {
    for (let i = 0; i < 50; i++) await emit(newEvent('warning.updated', String(i)));
    const { rows } = await tx.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 1702260340 AND pid = pg_backend_pid()");
    return Number(rows[0]?.n);
  });
  t.equal(locks, 1);
  const next = await feed.transaction(async (tx, emit) => {
    await emit(newEvent());
    const { rows } = await tx.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 1702260340 AND pid = pg_backend_pid()");
    return Number(rows[0]?.n);
  });
  t.equal(next, 1, 'the next transaction on the same connection locks again');
  t.equal((await feed.list({ limit: 1000 })).length, 51);
});

import t, { type Test } from 'tap';
import { pino } from 'pino';
import { FakeClock } from '../core/clock.js';
import type { Config } from '../config/schema.js';
import type { Db } from '../storage/db.js';
import { migrate } from '../storage/migrate.js';
import { openPg } from '../storage/pg-driver.js';
import { testDb } from '../http/test-support.js';
import { freshDatabase, stopSharedPostgres } from '../../test/helpers/postgres.js';
import { webhookChannel } from './channels/webhook.js';
import { createOutbox, type OutboxOptions } from './outbox.js';
import { retryMessage } from './queries.js';
import { claimDue } from './store.js';
import { outboxConfig, startReceiver, waitFor, type Answer, type Received } from './test-support.js';
import type { EnqueueInput, Outbox, OutboxMessage } from './types.js';

t.teardown(stopSharedPostgres);
const logger = pino({ level: 'silent' });

interface Row {
  state: string;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
  last_status: number | null;
  receipt: Record<string, unknown> | null;
}

interface Setup {
  db: Db;
  clock: FakeClock;
  outbox: Outbox;
  received: Received[];
  url: string;
  send(m: Partial<EnqueueInput> & { key: string }): Promise<string>;
  row(id: string): Promise<Row>;
  /** Waits until the message is finished or not due (no claim of it can be under way). */
  settle(id: string): Promise<Row>;
  attemptRows(id: string): Promise<Array<{ ok: boolean; retryable: boolean; status: number | null }>>;
}

async function setup(t: Test, respond: (r: Received, i: number) => Answer | Promise<Answer>, config: Partial<Config['outbox']> = {}, start = true, extra: Pick<OutboxOptions, 'onGivenUp'> = {}): Promise<Setup> {
  const db = await testDb(t);
  const clock = new FakeClock();
  const { url, received } = await startReceiver(t, respond);
  const outbox = createOutbox({ db, clock, logger, config: outboxConfig(config), random: () => 0.5, ...extra });
  outbox.register(webhookChannel({ name: 'ops', url, secret: '', timeoutMs: 5000, clock }));
  if (start) outbox.start();
  t.teardown(() => outbox.stop());
  const row = async (id: string) => {
    const r = await db.query<Row>('SELECT state, attempts, next_attempt_ms, last_error, last_status, receipt FROM outbox WHERE id = $1', [id]);
    const found = r.rows[0];
    if (!found) throw new Error(`no outbox row ${id}`);
    return found;
  };
  return {
    db, clock, outbox, received, url, row,
    async send(m) {
      const { id } = await db.transaction((tx) => outbox.enqueue(tx, { channel: 'ops', payload: { text: `message ${m.key}` }, ...m }));
      outbox.poke();
      return id;
    },
    async settle(id) {
      let last: Row | undefined;
      await waitFor(`message ${id} to settle`, async () => {
        last = await row(id);
        return last.state !== 'pending' || Number(last.next_attempt_ms) > clock.now();
      });
      return last as Row;
    },
    async attemptRows(id) {
      const r = await db.query<{ ok: boolean; retryable: boolean; status: number | null }>('SELECT ok, retryable, status FROM outbox_attempts WHERE message_id = $1 ORDER BY id', [id]);
      return r.rows;
    },
  };
}

const ok: Answer = { status: 200, body: { ok: true } };

/** Moves the clock a second at a time (up to 10 s) while the message is still pending. */
async function ageOut(s: Setup, id: string): Promise<Row> {
  let row = await s.settle(id);
  for (let i = 0; i < 10 && row.state === 'pending'; i++) {
    s.clock.advance(1000);
    row = await s.settle(id);
  }
  return row;
}

t.test('a message is delivered once, with its key, and the attempt is recorded', async (t) => {
  const s = await setup(t, () => ok);
  const id = await s.send({ key: 'w1:red', payload: { text: 'red warning' }, subject: { type: 'warning', id: 'w1' } });
  const row = await s.settle(id);
  t.equal(row.state, 'delivered');
  t.equal(row.attempts, 1);
  t.equal(row.last_status, 200);
  t.same(row.receipt, { ok: true }, "the receiver's JSON answer is kept");
  t.equal(s.received.length, 1);
  const got = s.received[0];
  t.equal(got?.headers['idempotency-key'], 'w1:red');
  t.equal(got?.headers['content-type'], 'application/json');
  t.match(got?.json, { id, key: 'w1:red', channel: 'ops', createdAt: new Date(s.clock.now()).toISOString(), payload: { text: 'red warning' } });
  t.same(await s.attemptRows(id), [{ ok: true, retryable: false, status: 200 }]);
  await s.outbox.stop();
});

t.test('enqueueing the same key twice is a no-op that says so', async (t) => {
  const s = await setup(t, () => ok, {}, false);
  const first = await s.db.transaction((tx) => s.outbox.enqueue(tx, { channel: 'ops', key: 'k1', payload: { a: 1 } }));
  const again = await s.db.transaction((tx) => s.outbox.enqueue(tx, { channel: 'ops', key: 'k1', payload: { a: 2 } }));
  t.same(first, { id: first.id, duplicate: false });
  t.same(again, { id: first.id, duplicate: true });
  const other = await s.db.transaction((tx) => s.outbox.enqueue(tx, { channel: 'other', key: 'k1', payload: {} }));
  t.not(other.id, first.id, 'keys are unique per channel');
  await t.rejects(s.db.transaction(async (tx) => {
    await s.outbox.enqueue(tx, { channel: 'ops', key: 'k2', payload: {} });
    throw new Error('caller rolls back');
  }));
  const count = await s.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
  t.equal(count.rows[0]?.n, 2, 'a rolled-back enqueue leaves nothing');
  s.outbox.start();
  s.outbox.poke();
  await s.settle(first.id);
  t.equal(s.received.length, 1);
  t.same(s.received[0]?.json, { id: first.id, key: 'k1', channel: 'ops', createdAt: new Date(s.clock.now()).toISOString(), payload: { a: 1 } });
  await s.outbox.stop();
});

t.test('a 500 is retried after a jittered backoff, then delivered', async (t) => {
  const s = await setup(t, (_r, i) => (i === 0 ? { status: 500, body: 'database busy' } : ok));
  const t0 = s.clock.now();
  const id = await s.send({ key: 'r1' });
  let row = await s.settle(id);
  t.equal(row.state, 'pending');
  t.equal(row.attempts, 1);
  t.equal(Number(row.next_attempt_ms), t0 + 500, 'full jitter over [0, 1000 ms] with random 0.5');
  t.match(row.last_error, /^HTTP 500: database busy/);
  s.clock.advance(1000);
  row = await s.settle(id);
  t.equal(row.state, 'delivered');
  t.equal(row.attempts, 2);
  t.equal(row.last_error, null);
  t.same(await s.attemptRows(id), [{ ok: false, retryable: true, status: 500 }, { ok: true, retryable: false, status: 200 }]);
  await s.outbox.stop();
});

t.test('a 400 and a 404 fail for good; a 2xx saying ok:false is retried', async (t) => {
  const s = await setup(t, (r) => {
    const key = r.headers['idempotency-key'];
    if (key === 'bad') return { status: 400, body: { error: 'missing field' } };
    if (key === 'gone') return { status: 404 };
    return { status: 200, body: { ok: false, error: 'quota exceeded' } };
  });
  const bad = await s.send({ key: 'bad' });
  const gone = await s.send({ key: 'gone' });
  const refused = await s.send({ key: 'refused' });
  const [b, g, r] = [await s.settle(bad), await s.settle(gone), await s.settle(refused)];
  t.equal(b.state, 'failed');
  t.equal(b.last_status, 400);
  t.equal(g.state, 'failed', '404 is not a success');
  t.equal(r.state, 'pending');
  t.match(r.last_error, /refused: quota exceeded/);
  s.clock.advance(10 * 60_000);
  await s.settle(refused);
  t.equal((await s.row(bad)).attempts, 1, 'a failed message is not tried again');
  t.ok((await s.row(refused)).attempts > 1, 'the refused one is');
  await s.outbox.stop();
});

t.test('Retry-After is honoured', async (t) => {
  const s = await setup(t, (_r, i) => (i === 0 ? { status: 503, headers: { 'retry-after': '120' } } : ok));
  const t0 = s.clock.now();
  const id = await s.send({ key: 'ra' });
  const row = await s.settle(id);
  t.equal(Number(row.next_attempt_ms), t0 + 120_000);
  s.clock.advance(60_000);
  t.equal((await s.settle(id)).state, 'pending', 'not before the receiver asked');
  s.clock.advance(60_000);
  t.equal((await s.settle(id)).state, 'delivered');
  await s.outbox.stop();
});

t.test('messages with one order key go one at a time, in order, even across a retry', async (t) => {
  let failedOnce = false;
  const s = await setup(t, (r) => {
    if (r.headers['idempotency-key'] === 'o1' && !failedOnce) {
      failedOnce = true;
      return { status: 502 };
    }
    return ok;
  });
  const ids = [await s.send({ key: 'o1', orderKey: 'w1' }), await s.send({ key: 'o2', orderKey: 'w1' }), await s.send({ key: 'o3', orderKey: 'w1' })];
  const free = await s.send({ key: 'x1', orderKey: 'w2' });
  t.equal((await s.settle(free)).state, 'delivered', 'another order key is not held up');
  t.equal((await s.settle(ids[0] as string)).state, 'pending');
  t.same(s.received.map((r) => r.headers['idempotency-key']).filter((k) => k !== 'x1'), ['o1'], 'o2 and o3 wait for o1');
  s.clock.advance(1000);
  for (const id of ids) t.equal((await s.settle(id)).state, 'delivered');
  t.same(s.received.map((r) => r.headers['idempotency-key']).filter((k) => k !== 'x1'), ['o1', 'o1', 'o2', 'o3']);
  await s.outbox.stop();
});

t.test('order holds per channel: a receiver that is down does not hold back another channel with the same order key', async (t) => {
  const s = await setup(t, () => ({ status: 503 }));
  const other = await startReceiver(t, () => ok);
  s.outbox.register(webhookChannel({ name: 'other', url: other.url, secret: '', timeoutMs: 5000, clock: s.clock }));
  const blocked = await s.send({ key: 'w1-ops-raised', orderKey: 'warning:1' });
  const second = await s.send({ key: 'w1-ops-cleared', orderKey: 'warning:1' });
  const elsewhere = await s.send({ key: 'w1-other-raised', orderKey: 'warning:1', channel: 'other' });
  t.equal((await s.settle(elsewhere)).state, 'delivered', 'the other channel delivers');
  t.equal((await s.settle(blocked)).state, 'pending');
  t.equal((await s.row(second)).attempts, 0, 'the second on the failing channel waits for the first');
  await s.outbox.stop();
});

t.test('a message older than its maximum age is given up, stays, and can be re-sent', async (t) => {
  let up = false;
  const s = await setup(t, () => (up ? ok : { status: 500 }), { maxAgeMs: 5000 });
  const id = await s.send({ key: 'old' });
  let row = await ageOut(s, id);
  t.equal(row.state, 'given_up');
  t.match(row.last_error, /older than its maximum age.*HTTP 500/);
  const tries = s.received.length;
  t.ok(tries >= 2, 'it was tried until then');
  s.clock.advance(60_000);
  t.equal((await s.settle(id)).state, 'given_up');
  t.equal(s.received.length, tries, 'not tried after giving up');

  up = true;
  const r = await retryMessage(s.db, id, s.clock.now());
  t.equal(r.outcome, 'queued');
  s.outbox.poke();
  row = await s.settle(id);
  t.equal(row.state, 'delivered');
  t.equal(row.attempts, 1, 'attempts count from the re-send');
  t.equal((await s.attemptRows(id)).length, tries + 1, 'the attempt log keeps every call');
  t.equal((await retryMessage(s.db, id, s.clock.now())).outcome, 'delivered', 'a delivered message is not sent twice');
  t.equal((await retryMessage(s.db, '999999', s.clock.now())).outcome, 'not_found');
  await s.outbox.stop();
});

t.test('giving up raises the alarm with the messages, once their state is written', async (t) => {
  const alarms: Array<{ messages: OutboxMessage[]; states: string[] }> = [];
  // The alarm reads the table the setup creates.
  const ref: { db?: Db } = {};
  const s = await setup(t, () => ({ status: 503 }), { maxAgeMs: 5000 }, true, {
    onGivenUp: async (messages) => {
      const r = await (ref.db as Db).query<{ state: string }>('SELECT state FROM outbox WHERE id = ANY($1::int8[]) ORDER BY id', [messages.map((m) => m.id)]);
      alarms.push({ messages, states: r.rows.map((x) => x.state) });
    },
  });
  ref.db = s.db;
  const ids = [await s.send({ key: 'a', subject: { type: 'case', id: '42' } }), await s.send({ key: 'b' })];
  const fresh = await s.send({ key: 'fresh', notBeforeMs: s.clock.now() + 4000 });
  for (let i = 0; i < 10 && alarms.length === 0; i++) {
    s.clock.advance(1000);
    s.outbox.poke();
    for (const id of ids) await s.settle(id);
  }
  await waitFor('the alarm', () => alarms.length > 0);
  const given = alarms.flatMap((a) => a.messages);
  t.same(given.map((m) => m.id).sort(), [...ids].sort(), 'both old messages, not the young one');
  t.match(given.find((m) => m.key === 'a'), { channel: 'ops', key: 'a', state: 'given_up', subject: { type: 'case', id: '42' } });
  t.same(alarms.flatMap((a) => a.states), ids.map(() => 'given_up'), 'the alarm sees the state already written');
  t.equal((await s.row(fresh)).state, 'pending');
  s.clock.advance(60_000);
  // A poll timer set while the advance ran would wait for a clock that no longer moves: wake the workers.
  s.outbox.poke();
  t.equal((await s.settle(fresh)).state, 'given_up');
  await waitFor('the second alarm', () => alarms.flatMap((a) => a.messages).length >= 3);
  t.same(alarms.flatMap((a) => a.messages.map((m) => m.id)).sort(), [...ids, fresh].sort(), 'one alarm per message: none is given up twice');
  await s.outbox.stop();
});

t.test('a failing alarm is logged, not thrown into the worker', async (t) => {
  const s = await setup(t, () => ({ status: 503 }), { maxAgeMs: 1000 }, true, { onGivenUp: () => { throw new Error('alarm broken'); } });
  const id = await s.send({ key: 'x' });
  const row = await ageOut(s, id);
  t.equal(row.state, 'given_up');
  const other = await s.send({ key: 'y' });
  await s.settle(other);
  t.ok(s.received.some((r) => r.headers['idempotency-key'] === 'y'), 'the outbox goes on');
  await s.outbox.stop();
});

t.test('expedite: messages backing off become due now; scheduled ones and other channels keep their time', async (t) => {
  let up = false;
  const s = await setup(t, () => (up ? ok : { status: 503 }), { backoffBaseMs: 60_000 });
  const failing = await s.send({ key: 'failing' });
  const later = await s.send({ key: 'later', notBeforeMs: s.clock.now() + 3_600_000 });
  const row = await s.settle(failing);
  t.equal(Number(row.next_attempt_ms) - s.clock.now(), 30_000, 'backing off');
  up = true;
  t.equal(await s.outbox.expedite?.('other-channel'), 0);
  t.equal(await s.outbox.expedite?.('ops'), 1, 'one message moved');
  t.equal((await s.settle(failing)).state, 'delivered', 'sent without the clock moving');
  t.equal((await s.row(later)).state, 'pending');
  t.equal(Number((await s.row(later)).next_attempt_ms), s.clock.now() + 3_600_000, 'a scheduled message keeps its time');
  await s.outbox.stop();
});

t.test("a dead worker's claim is taken over when its lease expires", async (t) => {
  const s = await setup(t, () => ok, { leaseMs: 60_000 }, false);
  const stuck = await s.db.transaction((tx) => s.outbox.enqueue(tx, { channel: 'ops', key: 'stuck', payload: {} }));
  const claimed = await claimDue(s.db, { nowMs: s.clock.now(), leaseMs: 60_000, owner: 'dead-worker', limit: 10 });
  t.same(claimed.map((c) => c.message.id), [stuck.id]);
  s.outbox.start();
  const probe = await s.send({ key: 'probe' });
  t.equal((await s.settle(probe)).state, 'delivered');
  t.equal((await s.row(stuck.id)).state, 'pending', 'a live lease is respected');
  t.same(s.received.map((r) => r.headers['idempotency-key']), ['probe']);
  s.clock.advance(60_001);
  await waitFor('the stuck message', async () => (await s.row(stuck.id)).state === 'delivered');
  t.same(s.received.map((r) => r.headers['idempotency-key']), ['probe', 'stuck']);
  await s.outbox.stop();
});

t.test('a channel that is not registered keeps its messages pending until it is', async (t) => {
  const s = await setup(t, () => ok);
  const { id } = await s.db.transaction((tx) => s.outbox.enqueue(tx, { channel: 'later', key: 'l1', payload: {} }));
  s.outbox.poke();
  await waitFor('the first try', async () => (await s.row(id)).last_error !== null);
  const row = await s.row(id);
  t.equal(row.state, 'pending');
  t.equal(row.attempts, 0);
  t.match(row.last_error, /no notifier channel named "later"/);
  t.same(await s.attemptRows(id), [], 'no call was made');
  t.notOk(s.outbox.hasChannel('later'));
  s.outbox.register(webhookChannel({ name: 'later', url: s.url, secret: '', timeoutMs: 5000, clock: s.clock }));
  t.ok(s.outbox.hasChannel('later'));
  s.clock.advance(1000);
  t.equal((await s.settle(id)).state, 'delivered');
  await s.outbox.stop();
});

t.test('stop() waits for deliveries in flight and records them', async (t) => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  const s = await setup(t, async () => {
    await held;
    return ok;
  });
  const id = await s.send({ key: 'slow' });
  await waitFor('the request', () => s.received.length === 1);
  let stopped = false;
  const stopping = s.outbox.stop().then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 50));
  t.notOk(stopped, 'still waiting for the receiver');
  release();
  await stopping;
  t.equal((await s.row(id)).state, 'delivered');
});

t.test('two outboxes on one database never deliver a message twice', async (t) => {
  const fresh = await freshDatabase();
  const dbs = [await openPg({ url: fresh.url, poolSize: 4, logger }), await openPg({ url: fresh.url, poolSize: 4, logger })];
  t.teardown(async () => {
    for (const db of dbs) await db.close();
    await fresh.drop();
  });
  await migrate(dbs[0] as Db, logger);
  const counts = new Map<string, number>();
  const { url } = await startReceiver(t, async (r) => {
    const key = String(r.headers['idempotency-key']);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (Math.random() < 0.3) await new Promise((res) => setTimeout(res, 2));
    return ok;
  });
  const clock = new FakeClock();
  const perProcess = [0, 0];
  const outboxes = dbs.map((db, i) => {
    const o = createOutbox({ db, clock, logger, config: outboxConfig({ workers: 4 }), claimBatch: 6, workerId: `process-${i}` });
    const hook = webhookChannel({ name: 'ops', url, secret: '', timeoutMs: 5000, clock });
    o.register({ name: hook.name, type: hook.type, deliver: (m, signal) => ((perProcess[i] = (perProcess[i] ?? 0) + 1), hook.deliver(m, signal)) });
    return o;
  });
  const db = dbs[0] as Db;
  await db.transaction(async (tx) => {
    for (let i = 0; i < 200; i++) await outboxes[0]?.enqueue(tx, { channel: 'ops', key: `m${i}`, payload: { i }, ...(i % 10 === 0 ? { orderKey: 'ordered' } : {}) });
  });
  for (const o of outboxes) o.start();
  await waitFor('all 200 delivered', async () => {
    for (const o of outboxes) o.poke();
    const r = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE state = 'delivered'");
    return r.rows[0]?.n === 200;
  }, 30_000);
  await Promise.all(outboxes.map((o) => o.stop()));
  t.comment(`deliveries per process: ${perProcess.join(', ')}`);
  t.equal(counts.size, 200, 'every message arrived');
  t.same([...counts.values()].filter((n) => n !== 1), [], 'each exactly once');
  const attempts = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_attempts');
  t.equal(attempts.rows[0]?.n, 200, 'one attempt row per call');
});

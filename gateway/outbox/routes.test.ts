import t from 'tap';
import { pino } from 'pino';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { asAdmin, bearer, testApp, userSession } from '../http/test-support.js';
import { createOutbox } from './outbox.js';
import { outboxRoutes } from './routes.js';
import { outboxConfig } from './test-support.js';

t.teardown(stopSharedPostgres);

interface DeliveryJson {
  id: string;
  state: string;
  channel: string;
  attempts: number;
  subject: { type: string; id: string } | null;
  lastError: string | null;
  nextAttemptAt: string;
  attemptLog?: Array<{ ok: boolean; status: number | null; error: string | null }>;
}

t.test('deliveries API: list with filters, one with its attempts, re-send', async (t) => {
  const poked: string[] = [];
  const { app, db, clock } = await testApp(t, { areas: [{ prefix: '/deliveries', plugin: outboxRoutes({ outbox: { poke: () => void poked.push('poke') } }) }] });
  const outbox = createOutbox({ db, clock, logger: pino({ level: 'silent' }), config: outboxConfig() });
  const ids: string[] = [];
  await db.transaction(async (tx) => {
    ids.push((await outbox.enqueue(tx, { channel: 'sms', key: 'a', payload: { text: 'a' }, subject: { type: 'warning', id: 'w1' } })).id);
    ids.push((await outbox.enqueue(tx, { channel: 'sms', key: 'b', payload: { text: 'b' }, subject: { type: 'warning', id: 'w2' } })).id);
    ids.push((await outbox.enqueue(tx, { channel: 'speakers', key: 'c', payload: { text: 'c' } })).id);
  });
  const [a, b, c] = ids as [string, string, string];
  const now = clock.now();
  await db.query("UPDATE outbox SET state = 'failed', attempts = 1, last_error = 'HTTP 400' WHERE id = $1", [a]);
  await db.query("INSERT INTO outbox_attempts (message_id, at_ms, ok, retryable, status, error, duration_ms) VALUES ($1, $2, false, false, 400, 'HTTP 400', 12)", [a, now]);
  await db.query("UPDATE outbox SET state = 'delivered', delivered_at_ms = $2 WHERE id = $1", [c, now]);

  const list = async (qs = '') => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/deliveries${qs}`, headers: asAdmin });
    t.equal(r.statusCode, 200, `GET deliveries${qs}`);
    return r.json<{ deliveries: DeliveryJson[]; next: string | null }>();
  };
  t.same((await list()).deliveries.map((d) => d.id), [c, b, a], 'newest first');
  t.same((await list('?state=failed')).deliveries.map((d) => d.id), [a]);
  t.same((await list('?channel=sms')).deliveries.map((d) => d.id), [b, a]);
  t.same((await list('?subjectType=warning&subjectId=w2')).deliveries.map((d) => d.id), [b]);
  const page1 = await list('?limit=2');
  t.same(page1.deliveries.map((d) => d.id), [c, b]);
  t.equal(page1.next, b);
  t.same((await list(`?limit=2&after=${b}`)).deliveries.map((d) => d.id), [a]);
  const onlyId = await app.inject({ method: 'GET', url: '/api/v1/deliveries?subjectId=w2', headers: asAdmin });
  t.equal(onlyId.statusCode, 400);

  const one = await app.inject({ method: 'GET', url: `/api/v1/deliveries/${a}`, headers: asAdmin });
  t.equal(one.statusCode, 200);
  t.match(one.json<DeliveryJson>(), { id: a, state: 'failed', subject: { type: 'warning', id: 'w1' }, attemptLog: [{ ok: false, status: 400, error: 'HTTP 400' }] });
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/deliveries/424242', headers: asAdmin })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/deliveries/nope', headers: asAdmin })).statusCode, 404);

  clock.advance(60_000);
  const retried = await app.inject({ method: 'POST', url: `/api/v1/deliveries/${a}/retry`, headers: asAdmin });
  t.equal(retried.statusCode, 200, 'retry');
  t.match(retried.json<DeliveryJson>(), { id: a, state: 'pending', attempts: 0, nextAttemptAt: new Date(clock.now()).toISOString() });
  t.same(poked, ['poke'], 'the outbox is woken');
  const audit = await db.query<{ action: string; target_id: string; before: { state: string }; after: { state: string } }>("SELECT action, target_id, before, after FROM audit_log WHERE action = 'delivery.retry'");
  t.match(audit.rows, [{ action: 'delivery.retry', target_id: a, before: { state: 'failed' }, after: { state: 'pending' } }]);
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/deliveries/${c}/retry`, headers: asAdmin })).statusCode, 409, 'delivered: not sent twice');
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/deliveries/424242/retry', headers: asAdmin })).statusCode, 404);
});

t.test('deliveries are for ops', async (t) => {
  const { app } = await testApp(t, { areas: [{ prefix: '/deliveries', plugin: outboxRoutes() }] });
  const viewer = await userSession(app, { username: 'viewer1', role: 'viewer' });
  const ops = await userSession(app, { username: 'ops1', role: 'ops' });
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/deliveries', headers: bearer(viewer.token) })).statusCode, 403);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/deliveries/1/retry', headers: bearer(viewer.token) })).statusCode, 403);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/deliveries', headers: bearer(ops.token) })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/deliveries' })).statusCode, 401);
});

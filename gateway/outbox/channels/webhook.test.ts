import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../core/clock.js';
import { verifySignature } from '../signature.js';
import { startReceiver, type Answer } from '../test-support.js';
import type { DeliveryResult, OutboxMessage } from '../types.js';
import { webhookChannel } from './webhook.js';

const clock = new FakeClock(Date.UTC(2026, 5, 1, 2, 0, 0));
const msg: OutboxMessage = { id: '7', channel: 'sms', key: 'warning:42:red', payload: { text: '东环路积水 42 cm', grade: 'red' }, orderKey: null, subject: { type: 'warning', id: '42' }, attempts: 0, createdAtMs: clock.now() - 1000, state: 'pending' };
const signal = new AbortController().signal;

async function deliverTo(t: Test, answer: Answer, secret = ''): Promise<DeliveryResult & { status?: number }> {
  const rx = await startReceiver(t, () => answer);
  return webhookChannel({ name: 'sms', url: rx.url, secret, timeoutMs: 2000, clock }).deliver(msg, signal);
}

t.test('the request: JSON body, idempotency key, timestamp and a signature a receiver can verify', async (t) => {
  const secret = 'shared-secret-with-the-sms-gateway';
  const rx = await startReceiver(t, () => ({ status: 202, body: { accepted: true, messageId: 'sms-1' } }));
  const r = await webhookChannel({ name: 'sms', url: rx.url, secret, timeoutMs: 2000, clock }).deliver(msg, signal);
  t.same(r, { ok: true, status: 202, receipt: { accepted: true, messageId: 'sms-1' } });
  const got = rx.received[0];
  if (!got) throw new Error('nothing received');
  t.same(got.json, { id: '7', key: 'warning:42:red', channel: 'sms', createdAt: '2026-06-01T01:59:59.000Z', payload: { text: '东环路积水 42 cm', grade: 'red' } });
  t.equal(got.headers['idempotency-key'], 'warning:42:red');
  t.equal(got.headers['content-type'], 'application/json');
  t.equal(got.headers['x-cityops-timestamp'], String(clock.now() / 1000));
  const check = (body: string, s = secret, nowMs = clock.now()) =>
    verifySignature({ secret: s, body, nowMs, timestamp: got.headers['x-cityops-timestamp'] as string, signature: got.headers['x-cityops-signature'] as string });
  t.match(got.headers['x-cityops-signature'], /^sha256=[0-9a-f]{64}$/);
  t.ok(check(got.body), 'the signature verifies over "{timestamp}.{body}"');
  t.notOk(check(got.body.replace('42', '43')), 'a changed body does not');
  t.notOk(check(got.body, 'another secret'), 'nor another secret');
  t.notOk(check(got.body, secret, clock.now() + 10 * 60_000), 'nor a stale timestamp');
});

t.test('unsigned when there is no secret', async (t) => {
  const rx = await startReceiver(t, () => ({ status: 200 }));
  const r = await webhookChannel({ name: 'sms', url: rx.url, secret: '', timeoutMs: 2000, clock }).deliver(msg, signal);
  t.same(r, { ok: true, status: 200 });
  t.equal(rx.received[0]?.headers['x-cityops-signature'], undefined);
});

t.test('what each answer means', async (t) => {
  const cases: Array<[string, Answer, Partial<DeliveryResult> & { status?: number }]> = [
    ['200 ok:false is a failure worth retrying', { status: 200, body: { ok: false, error: 'quota' } }, { ok: false, retryable: true, status: 200 }],
    ['200 success:false too', { status: 200, body: { success: false, message: 'busy' } }, { ok: false, retryable: true }],
    ['DingTalk errcode ≠ 0 too', { status: 200, body: { errcode: 310000, errmsg: 'keywords not in content' } }, { ok: false, retryable: true }],
    ['DingTalk errcode 0 is a success', { status: 200, body: { errcode: 0, errmsg: 'ok' } }, { ok: true, status: 200 }],
    ['404 is not a success, and retrying will not help', { status: 404 }, { ok: false, retryable: false, status: 404 }],
    ['400 is not retried', { status: 400, body: { error: 'bad phone' } }, { ok: false, retryable: false, status: 400 }],
    ['401 is not retried', { status: 401 }, { ok: false, retryable: false }],
    ['408 is retried', { status: 408 }, { ok: false, retryable: true }],
    ['425 is retried', { status: 425 }, { ok: false, retryable: true }],
    ['429 with Retry-After seconds', { status: 429, headers: { 'retry-after': '30' } }, { ok: false, retryable: true, retryAfterMs: 30_000 }],
    ['503 with a Retry-After date', { status: 503, headers: { 'retry-after': new Date(clock.now() + 90_000).toUTCString() } }, { ok: false, retryable: true, retryAfterMs: 90_000 }],
    ['500 is retried', { status: 500 }, { ok: false, retryable: true, status: 500 }],
    ['a redirect is not followed', { status: 302, headers: { location: 'http://example.invalid/' } }, { ok: false, retryable: false, status: 302 }],
  ];
  for (const [what, answer, expected] of cases) t.match(await deliverTo(t, answer), expected, what);
  const refused = await deliverTo(t, { status: 200, body: { ok: false, error: 'quota exceeded' } });
  t.match(refused, { error: /HTTP 200 but the receiver refused: quota exceeded/ });
});

t.test('network errors and timeouts are retried', async (t) => {
  const server = createServer(() => undefined); // never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  t.teardown(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  const slow = await webhookChannel({ name: 'sms', url: `http://127.0.0.1:${port}/`, secret: '', timeoutMs: 100, clock }).deliver(msg, signal);
  t.same(slow, { ok: false, retryable: true, error: 'no answer within 100 ms' });

  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const refused = await webhookChannel({ name: 'sms', url: `http://127.0.0.1:${closedPort}/`, secret: '', timeoutMs: 1000, clock }).deliver(msg, signal);
  t.match(refused, { ok: false, retryable: true, error: /ECONNREFUSED/ });
});

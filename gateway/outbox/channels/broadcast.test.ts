import t from 'tap';
import { pino } from 'pino';
import { FakeClock } from '../../core/clock.js';
import { testDb } from '../../http/test-support.js';
import { stopSharedPostgres } from '../../../test/helpers/postgres.js';
import { createOutbox } from '../outbox.js';
import { outboxConfig, startReceiver, waitFor } from '../test-support.js';
import type { OutboxMessage } from '../types.js';
import { broadcastChannel, broadcastCovers, broadcastRequest } from './broadcast.js';

t.teardown(stopSharedPostgres);
const clock = new FakeClock();
const signal = new AbortController().signal;
const message = (payload: Record<string, unknown>): OutboxMessage => ({ id: '9', channel: 'speakers', key: 'k', payload, orderKey: null, subject: null, attempts: 0, createdAtMs: clock.now(), state: 'pending' });
const block = '31011500601003012';

t.test('the receipt from the controller is stored with the delivered message', async (t) => {
  const db = await testDb(t);
  const rx = await startReceiver(t, (r) => ({ status: 200, body: { receiptId: `rc-${(r.json as { id: string }).id}`, played: true, at: '2026-01-01T00:00:01Z' } }));
  const outbox = createOutbox({ db, clock, logger: pino({ level: 'silent' }), config: outboxConfig() });
  outbox.register(broadcastChannel({ name: 'speakers', url: rx.url, secret: 's', timeoutMs: 2000, blocks: ['310115006'], clock }));
  outbox.start();
  t.teardown(() => outbox.stop());
  const { id } = await db.transaction((tx) => outbox.enqueue(tx, { channel: 'speakers', key: 'w1:red', payload: { blockCode: block, summary: '红色预警：东环路积水，请绕行', grade: 'red', repeat: 3 } }));
  outbox.poke();
  await waitFor('delivery', async () => (await db.query<{ state: string }>('SELECT state FROM outbox WHERE id = $1', [id])).rows[0]?.state === 'delivered');
  const row = (await db.query<{ receipt: unknown }>('SELECT receipt FROM outbox WHERE id = $1', [id])).rows[0];
  t.same(row?.receipt, { receiptId: `rc-${id}`, played: true, at: '2026-01-01T00:00:01Z' });
  t.same(rx.received[0]?.json, { id, block, text: '红色预警：东环路积水，请绕行', grade: 'red', repeat: 3 });
  t.match(rx.received[0]?.headers['x-cityops-signature'], /^sha256=/);
  await outbox.stop();
});

t.test('an answer without a receipt is retried; a display receipt counts', async (t) => {
  const answers = [{ status: 200, body: { accepted: true } }, { status: 200, body: { receiptId: 'r1', played: false } }, { status: 200, body: { receiptId: 'led-7', displayed: true } }, { status: 500 }];
  for (const [i, answer] of answers.entries()) {
    const rx = await startReceiver(t, () => answer);
    const r = await broadcastChannel({ name: 'speakers', url: rx.url, secret: '', timeoutMs: 2000, blocks: [], clock }).deliver(message({ blockCode: block, text: 'hi' }), signal);
    if (i < 2) t.match(r, { ok: false, retryable: true, error: /without a delivery receipt/ }, JSON.stringify(answer.body));
    else if (i === 2) t.same(r, { ok: true, status: 200, receipt: { receiptId: 'led-7', displayed: true } });
    else t.match(r, { ok: false, retryable: true, status: 500 });
  }
});

t.test('blocks: a controller skips blocks it does not cover; a payload without block or text fails', async (t) => {
  const rx = await startReceiver(t, () => ({ status: 200, body: { receiptId: 'x', played: true } }));
  const ch = broadcastChannel({ name: 'speakers', url: rx.url, secret: '', timeoutMs: 2000, blocks: ['310115006', '310115007'], clock });
  t.same(await ch.deliver(message({ blockCode: '31011500801003012', text: 'hi' }), signal), { ok: true, receipt: { skipped: true, reason: 'block 31011500801003012 is not covered by speakers' } });
  t.equal(rx.received.length, 0, 'nothing was sent');
  t.match(await ch.deliver(message({ text: 'hi' }), signal), { ok: false, retryable: false, error: /no blockCode/ });
  t.match(await ch.deliver(message({ blockCode: block }), signal), { ok: false, retryable: false, error: /no text/ });
  t.ok(broadcastCovers([], block));
  t.notOk(broadcastCovers(['3101150070'], block));
  t.same(broadcastRequest(message({ block, message: 'm', repeat: 99 })), { id: '9', block, text: 'm', grade: null, repeat: 1 }, 'repeat outside 1–10 falls back to 1');
});

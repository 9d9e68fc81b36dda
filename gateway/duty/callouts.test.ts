import t from 'tap';
import { pino } from 'pino';
import { FakeClock } from '../core/clock.js';
import { testConfig, testDb } from '../http/test-support.js';
import type { Db } from '../storage/db.js';
import type { CalloutRequest } from './types.js';
import { createShift } from './roster.js';
import { createDuty, type DutyService } from './callouts.js';
import { shift, tableFeed, tableOutbox, testDuty } from './test-support.js';

const M = 60_000;
const t0 = Date.UTC(2026, 0, 5, 2, 0);

const request = (over: Partial<CalloutRequest> = {}): CalloutRequest => ({
  warningId: 'w1', fingerprint: 'waterlogging-depth:dev-1', grade: 'orange', kind: 'waterlogging', blockCode: '31011700601003012',
  category: 'rainstorm', deadlineMs: 5 * M, remindEveryMs: 2 * M, chain: [], exercise: false,
  summary: 'Orange waterlogging warning at 东环路 (depth 42 cm)', ...over,
});

async function rostered(db: Db): Promise<void> {
  await db.transaction((tx) => createShift(tx, shift(t0 - 60 * M, t0 + 24 * 60 * M), t0));
}

async function start(duty: DutyService, feed: Awaited<ReturnType<typeof tableFeed>>, req: CalloutRequest, nowMs: number): Promise<void> {
  await feed.transaction((tx, emit) => duty.startCallout(tx, req, nowMs, emit));
}

void t.test('call → reminders → escalation along the chain → exhausted → acknowledged stops it', async (t) => {
  const db = await testDb(t);
  await rostered(db);
  const { duty, outbox, feed } = await testDuty(db);
  await start(duty, feed, request(), t0);

  let sent = await outbox.sent();
  t.same(sent.map((m) => m.key), ['callout:w1:0:1:phone-gateway', 'callout:w1:0:1:sms-gateway'], 'one message per channel');
  t.match(sent[0]?.payload, {
    type: 'callout.call', warningId: 'w1', grade: 'orange', category: 'rainstorm', blockCode: '31011700601003012', step: 0, role: 'duty_officer',
    person: { id: 'officer-a', name: '张三', phone: '13812345678' }, acknowledgeUrl: 'https://ops.example.cn/api/v1/duty/callouts/w1/acknowledge',
    deadline: '2026-01-05T10:05:00.000+08:00', exercise: false, call: 1, summary: /东环路/,
  });
  t.match(await duty.status('w1'), { state: 'calling', step: 0, role: 'duty_officer', deadlineMs: t0 + 5 * M });

  // Reminders at +2 and +4; the deadline at +5 escalates to the leader on duty, and so on.
  for (const m of [1, 2, 3, 4, 5, 7, 9, 10, 12, 14, 15, 17]) await duty.tick(t0 + m * M);
  sent = await outbox.sent();
  const calls = sent.filter((m) => m.channel === 'phone-gateway').map((m) => `${m.payload.type}:${(m.payload.person as { id: string }).id}`);
  t.same(calls, [
    'callout.call:officer-a', 'callout.reminder:officer-a', 'callout.reminder:officer-a',
    'callout.escalated:leader', 'callout.reminder:leader', 'callout.reminder:leader',
    'callout.escalated:head', 'callout.reminder:head', 'callout.reminder:head',
    'callout.reminder:head',
  ]);
  t.match(await duty.status('w1'), { state: 'exhausted', step: 2, role: 'head' });
  t.equal(new Set(sent.map((m) => m.key)).size, sent.length, 'every key is unique');

  const acked = await feed.transaction((tx, emit) => duty.acknowledge(tx, 'w1', { actor: 'phone-gateway', personId: 'head', note: 'on my way' }, t0 + 18 * M, emit));
  t.equal(acked, true);
  t.match(await duty.status('w1'), { state: 'acknowledged', acknowledgedBy: 'phone-gateway', acknowledgedAtMs: t0 + 18 * M });
  for (const m of [19, 20, 30, 60]) await duty.tick(t0 + m * M);
  t.equal((await outbox.sent()).length, sent.length, 'nothing more is sent after the acknowledgement');
  t.equal(await feed.transaction((tx, emit) => duty.acknowledge(tx, 'w1', { actor: 'x' }, t0 + 61 * M, emit)), false, 'a second acknowledgement finds nothing open');

  const log = await duty.log('w1');
  t.same(log.map((e) => e.type), ['call', 'reminder', 'reminder', 'escalated', 'reminder', 'reminder', 'escalated', 'reminder', 'reminder', 'exhausted', 'reminder', 'acknowledged']);
  t.match(log[0], { atMs: t0, role: 'duty_officer', person: 'officer-a', channel: 'phone-gateway,sms-gateway' });
  t.match(log[11], { role: 'head', person: 'head', detail: 'acknowledged by phone-gateway: on my way' });
  t.same(await feed.types('w1'), log.map((e) => `callout.${e.type}`), 'one event per log row, in order');
});

void t.test('a rule’s own chain, and a plan’s step deadlines', async (t) => {
  const db = await testDb(t);
  await rostered(db);
  await db.query(`INSERT INTO duty_call_plans (category, plan, updated_at) VALUES ('fire', $1, now())`, [JSON.stringify({ description: '', steps: [{ role: 'duty_officer', channels: ['phone-gateway'], deadline: '1m' }, { role: 'head', channels: ['sms-gateway'] }] })]);
  const { duty, outbox, feed } = await testDuty(db);
  await start(duty, feed, request({ warningId: 'w-fire', category: 'fire', remindEveryMs: 0 }), t0);
  await duty.tick(t0 + M);
  t.same((await outbox.sent()).map((m) => m.key), ['callout:w-fire:0:1:phone-gateway', 'callout:w-fire:1:2:sms-gateway'], 'plan chain; 1m step deadline; no reminders');
  t.match(await duty.status('w-fire'), { step: 1, role: 'head', deadlineMs: t0 + 6 * M });

  await start(duty, feed, request({ warningId: 'w-chain', category: 'fire', chain: ['leader_on_duty', 'head'] }), t0);
  const first = (await outbox.sent()).find((m) => m.key.startsWith('callout:w-chain:0'));
  t.match(first?.payload, { role: 'leader_on_duty', person: { id: 'leader' } }, 'the rule’s chain starts with the leader');
  t.equal(first?.channel, 'phone-gateway', 'a role the plan lacks uses phone and SMS');
});

void t.test('a restart mid-callout continues from the database', async (t) => {
  const db = await testDb(t);
  await rostered(db);
  const first = await testDuty(db);
  await start(first.duty, first.feed, request(), t0);
  await first.duty.tick(t0 + 2 * M);

  const outbox = await tableOutbox(db);
  const feed = await tableFeed(db, first.clock);
  const second = createDuty({ db, clock: first.clock, logger: pino({ level: 'silent' }), outbox, feed, config: testConfig() });
  await second.tick(t0 + 4 * M);
  await second.tick(t0 + 5 * M);
  const log = await second.log('w1');
  t.same(log.map((e) => `${e.type}:${e.person}`), ['call:officer-a', 'reminder:officer-a', 'reminder:officer-a', 'escalated:leader']);
  t.equal((await outbox.sent()).filter((m) => m.key.startsWith('callout:w1:1:4')).length, 2, 'the new instance numbers calls on');
});

void t.test('two instances ticking the same callouts never send twice', async (t) => {
  const db = await testDb(t);
  await rostered(db);
  const a = await testDuty(db);
  const feed = await tableFeed(db, a.clock);
  const b = createDuty({ db, clock: a.clock, logger: pino({ level: 'silent' }), outbox: a.outbox, feed, config: testConfig(), batch: 3 });
  const n = 20;
  for (let i = 0; i < n; i++) await start(a.duty, a.feed, request({ warningId: `w${i}` }), t0);
  for (const m of [2, 4, 5, 7]) await Promise.all([a.duty.tick(t0 + m * M), b.tick(t0 + m * M), a.duty.tick(t0 + m * M), b.tick(t0 + m * M)]);
  const sent = await a.outbox.sent();
  t.equal(new Set(sent.map((m) => m.key)).size, sent.length, 'no key sent twice');
  // Per callout: call, 2 reminders, escalation, reminder = 5 calls × 2 channels.
  t.equal(sent.length, n * 5 * 2);
  const r = await db.query<{ c: number }>(`SELECT count(*)::int AS c FROM callout_log WHERE type = 'reminder'`);
  t.equal(r.rows[0]?.c, n * 3);
});

void t.test('nobody on duty: the default shift, else unstaffed until someone is rostered', async (t) => {
  const db = await testDb(t);
  const { duty, outbox, feed } = await testDuty(db);
  await start(duty, feed, request(), t0);
  t.equal((await outbox.sent()).length, 0);
  t.same(await feed.types('w1'), ['callout.unstaffed']);
  t.match((await duty.log('w1'))[0], { type: 'unstaffed', role: 'duty_officer', detail: /no shift is on duty/ });

  // Someone is rostered for another town only: still nobody for this block.
  await db.transaction((tx) => createShift(tx, shift(t0, t0 + 60 * M, { blocks: ['320000000'] }, '-other'), t0));
  await duty.tick(t0 + 2 * M);
  t.equal((await outbox.sent()).length, 0);
  // A default shift (no blocks) covers every block: the next reminder time calls it.
  await db.transaction((tx) => createShift(tx, shift(t0, t0 + 60 * M, {}, '-default'), t0));
  await duty.tick(t0 + 4 * M);
  const sent = await outbox.sent();
  t.match(sent[0]?.payload, { type: 'callout.call', step: 0, person: { id: 'officer-a-default' } });
});

void t.test('grade changes keep the step; repeats are no-ops; cancel stops it', async (t) => {
  const db = await testDb(t);
  await rostered(db);
  const { duty, outbox, feed } = await testDuty(db);
  await start(duty, feed, request(), t0);
  await start(duty, feed, request(), t0 + M);
  t.equal((await outbox.sent()).length, 2, 'the same grade again is a no-op');

  await duty.tick(t0 + 5 * M); // escalated to the leader
  await start(duty, feed, request({ grade: 'red', summary: 'Red waterlogging warning' }), t0 + 6 * M);
  const last = (await outbox.sent()).at(-1);
  t.match(last?.payload, { type: 'callout.call', grade: 'red', step: 1, role: 'leader_on_duty', summary: 'Red waterlogging warning' }, 'an upgrade calls again at the current step');
  t.match(await duty.status('w1'), { step: 1, deadlineMs: t0 + 11 * M });

  const before = (await outbox.sent()).length;
  await start(duty, feed, request({ grade: 'orange' }), t0 + 7 * M);
  t.equal((await outbox.sent()).length, before, 'a downgrade only records the grade');

  await feed.transaction((tx, emit) => duty.cancel(tx, 'w1', 'warning cleared', t0 + 8 * M, emit));
  await duty.tick(t0 + 20 * M);
  t.equal((await outbox.sent()).length, before, 'nothing after cancel');
  t.match(await duty.status('w1'), { state: 'cancelled' });
  t.same((await duty.log('w1')).map((e) => e.type), ['call', 'escalated', 'regraded', 'call', 'regraded', 'cancelled']);

  // Raised again after it cleared: a new callout from the first step, keys still unique.
  await start(duty, feed, request(), t0 + 30 * M);
  const sent = await outbox.sent();
  t.match(sent.at(-1)?.payload, { step: 0, role: 'duty_officer', call: 4 });
  t.equal(new Set(sent.map((m) => m.key)).size, sent.length);
});

void t.test('without an event transaction, events wait on the log for the next tick', async (t) => {
  const db = await testDb(t);
  await rostered(db);
  const { duty, feed } = await testDuty(db);
  await db.transaction((tx) => duty.startCallout(tx, request(), t0));
  t.same(await feed.types(), [], 'no event yet');
  await duty.tick(t0 + 1000);
  t.same(await feed.types(), ['callout.call']);
  await db.transaction(async (tx) => {
    t.equal(await duty.acknowledge(tx, 'w1', { actor: 'ops-user' }, t0 + 2000), true);
  });
  await duty.tick(t0 + 3000);
  t.same(await feed.types(), ['callout.call', 'callout.acknowledged']);
  await duty.tick(t0 + 4000);
  t.equal((await feed.list({})).length, 2, 'emitted once');
});

void t.test('exercises say so in the call, and the timer drives ticks on the clock', async (t) => {
  const db = await testDb(t);
  await rostered(db);
  const { duty, outbox, feed, clock } = await testDuty(db);
  clock.advance(t0 - clock.now());
  await start(duty, feed, request({ exercise: true }), clock.now());
  t.match((await outbox.sent())[0]?.payload, { exercise: true });
  clock.advance(2 * M);
  duty.start(1000);
  t.teardown(() => duty.stop());
  clock.advance(1000);
  await duty.stop(); // waits for the tick the timer started
  t.match((await outbox.sent())[2]?.payload, { type: 'callout.reminder', exercise: true });
});

void t.test('a fault is logged as an error once per step, not at every reminder', async (t) => {
  const db = await testDb(t);
  type Line = { level: number; msg: string; step: number; warningId: string };
  const lines: Line[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Line) });
  const outbox = await tableOutbox(db, []);
  const clock = new FakeClock(t0);
  const feed = await tableFeed(db, clock);
  const duty = createDuty({ db, clock, logger, outbox, feed, config: testConfig() });
  const errors = () => lines.filter((l) => l.level >= 50).map((l) => `${l.step} ${l.msg.split(':')[0]}`);

  await start(duty, feed, request({ warningId: 'w-unstaffed', remindEveryMs: M }), t0);
  for (let m = 1; m <= 4; m++) await duty.tick(t0 + m * M);
  t.same(errors(), ['0 callout unstaffed'], 'nobody on duty: one error, the reminders at debug');
  t.ok(lines.filter((l) => l.level === 20 && l.msg.startsWith('callout unstaffed')).length >= 3, 'each retry is still logged, at debug');
  await duty.tick(t0 + 5 * M);
  t.same(errors(), ['0 callout unstaffed', '1 callout unstaffed'], 'the escalation to the next step is an error again');

  lines.length = 0;
  await rostered(db);
  await start(duty, feed, request({ warningId: 'w-nochannel', remindEveryMs: M }), t0 + 6 * M);
  for (let m = 7; m <= 9; m++) await duty.tick(t0 + m * M);
  const mine = lines.filter((l) => l.warningId === 'w-nochannel' && l.level >= 50).map((l) => `${l.step} ${l.msg}`);
  t.same(mine, ['0 no callout channel is configured: the call reaches only the event feed'], 'no channel: one error for the call, not one per reminder');
  t.equal((await duty.log('w-nochannel')).filter((e) => e.type === 'reminder').length, 3, 'the reminders are on the call log');
});

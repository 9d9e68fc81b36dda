/**
 * Feedback on the district's own schedule, on a FakeClock, to a real HTTP stand-in for the
 * gateway that checks each message's signature and nonce the way the gateway does.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { FakeClock } from '../../gateway/core/clock.js';
import { chinaTime } from '../../gateway/events/store.js';
import { freePort } from '../../test/helpers/postgres.js';
import { nonceHeader, signatureHeader, timestampHeader, verifySignature } from '../../gateway/outbox/signature.js';
import { deliverCase, testSecret, testSimulator } from './test-support.js';
import type { FeedbackOptions } from './types.js';

const feedbackSecret = 'feedback-secret';

interface Seen {
  body: Record<string, unknown>;
  nonce: string;
}

/** Answers like the gateway's feedback route: 401 on a bad signature, 409 on a replayed nonce, else `answer(body)`. */
async function gateway(t: Test, clock: FakeClock, answer: (body: Record<string, unknown>, n: number) => number = () => 200) {
  const seen: Seen[] = [];
  const nonces = new Set<string>();
  let bad = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const nonce = String(req.headers[nonceHeader] ?? '');
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const ok = req.url === '/api/v1/district/feedback' && /^[A-Za-z0-9_-]{16,64}$/.test(nonce) && verifySignature({
        secret: feedbackSecret, timestamp: req.headers[timestampHeader] as string | undefined, signature: req.headers[signatureHeader] as string | undefined,
        body: text, nonce, nowMs: clock.now(),
      });
      if (!ok) {
        bad++;
        return reply(401, { code: 'GW_ERR_SIGNATURE' });
      }
      if (nonces.has(nonce)) return reply(409, { code: 'GW_ERR_REPLAY' });
      nonces.add(nonce);
      const body = JSON.parse(text) as Record<string, unknown>;
      const n = seen.push({ body, nonce });
      const status = answer(body, n);
      reply(status, status === 200 ? { ok: true, case: { id: body.caseId } } : { code: status === 409 ? 'GW_ERR_CASE_TRANSITION' : 'GW_ERR_INTERNAL' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, bad: () => bad };
}

const minute = 60_000;

t.test('accepted, dispatched, signed, arrived, handled, closed: each after the step before, signed with a fresh nonce', async (t) => {
  const clock = new FakeClock();
  const gw = await gateway(t, clock);
  const feedback: FeedbackOptions = {
    gatewayUrl: `${gw.url}/`, secret: feedbackSecret, acceptAfterMs: 1 * minute, dispatchAfterMs: 2 * minute, signAfterMs: 5 * minute,
    arriveAfterMs: 15 * minute, handleAfterMs: 30 * minute, closeAfterMs: 10 * minute, unit: { id: 'fire-1', tier: 1, name: '消防站' },
  };
  const sim = await testSimulator(t, { clock, feedback });
  const t0 = clock.now();
  const no = (await deliverCase(sim.primaryUrl, testSecret, '42', { timestampMs: t0 })).json.districtCaseNo;
  await deliverCase(sim.backupUrl, testSecret, '42', { timestampMs: t0 }); // a duplicate starts nothing

  clock.advance(minute - 1);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(gw.seen.length, 0, 'nothing before its time');
  clock.advance(1);
  await sim.waitFor((s) => s.feedback()[0]?.state === 'ok');
  t.same(gw.seen[0]?.body, { caseId: '42', action: 'accepted', at: chinaTime(t0 + minute), districtCaseNo: no });

  clock.advance(2 * minute);
  await sim.waitFor((s) => s.feedback().length === 2 && s.feedback()[1]?.state === 'ok');
  t.same(gw.seen[1]?.body, { caseId: '42', action: 'dispatched', at: chinaTime(t0 + 3 * minute), districtCaseNo: no, unit: { id: 'fire-1', tier: 1, name: '消防站' } });

  clock.advance(60 * minute); // every remaining step falls due; they still go one at a time, in order
  await sim.waitFor((s) => s.feedback().length === 6 && s.feedback().every((f) => f.state === 'ok'));
  t.same(gw.seen.map((s) => [s.body.action, s.body.at]), [
    ['accepted', chinaTime(t0 + minute)],
    ['dispatched', chinaTime(t0 + 3 * minute)],
    ['signed', chinaTime(t0 + 8 * minute)],
    ['arrived', chinaTime(t0 + 23 * minute)],
    ['handled', chinaTime(t0 + 53 * minute)],
    ['closed', chinaTime(t0 + 63 * minute)],
  ], 'no verify delay given: verified is skipped');
  t.equal(new Set(gw.seen.map((s) => s.nonce)).size, 6, 'a fresh nonce each time');
  t.equal(gw.bad(), 0, 'every signature verified');
  t.match(sim.feedback({ caseId: '42' })[5], { seq: 6, action: 'closed', state: 'ok', attempts: 1, status: 200, answer: { ok: true, case: { id: '42' } }, error: null });
  t.same(sim.stats().feedback, { sent: 6, ok: 6, failed: 0 });
  t.same(sim.feedback({ caseId: '43' }), []);
});

t.test('a 5xx is retried on the clock with a new nonce; a refusal stops the case\'s schedule', async (t) => {
  const clock = new FakeClock();
  const gw = await gateway(t, clock, (b, n) => (n === 1 ? 503 : b.action === 'dispatched' ? 409 : 200));
  const sim = await testSimulator(t, {
    clock, feedback: { gatewayUrl: gw.url, secret: feedbackSecret, acceptAfterMs: 0, dispatchAfterMs: minute, signAfterMs: minute, retryDelayMs: 5000 },
  });
  await deliverCase(sim.primaryUrl, testSecret, '7', { timestampMs: clock.now() });
  clock.advance(0);
  await sim.waitFor((s) => s.feedback()[0]?.status === 503);
  t.match(sim.feedback()[0], { state: 'pending', attempts: 1, error: /^HTTP 503/ });
  clock.advance(5000);
  await sim.waitFor((s) => s.feedback()[0]?.state === 'ok');
  t.match(sim.feedback()[0], { action: 'accepted', attempts: 2, status: 200 });
  t.not(gw.seen[0]?.nonce, gw.seen[1]?.nonce);

  clock.advance(2 * minute);
  await sim.waitFor((s) => s.feedback()[1]?.state === 'failed');
  t.match(sim.feedback()[1], { action: 'dispatched', attempts: 1, status: 409, answer: { code: 'GW_ERR_CASE_TRANSITION' } });
  await new Promise((r) => setTimeout(r, 30));
  t.same(gw.seen.map((s) => s.body.action), ['accepted', 'accepted', 'dispatched'], 'signed is not sent after a refused dispatch');
  t.same(sim.stats().feedback, { sent: 2, ok: 1, failed: 1 });
});

t.test('a gateway that does not answer: retried, then given up with the network error', async (t) => {
  const clock = new FakeClock();
  const port = await freePort();
  const sim = await testSimulator(t, { clock, feedback: { gatewayUrl: `http://127.0.0.1:${port}`, secret: feedbackSecret, acceptAfterMs: 0, retries: 1, retryDelayMs: 1000 } });
  await deliverCase(sim.primaryUrl, testSecret, '1', { timestampMs: clock.now() });
  clock.advance(0);
  await sim.waitFor((s) => s.feedback()[0]?.attempts === 1 && s.feedback()[0]?.error !== null);
  clock.advance(1000);
  await sim.waitFor((s) => s.feedback()[0]?.state === 'failed');
  t.match(sim.feedback()[0], { attempts: 2, status: null, error: /ECONNREFUSED/ });
});

t.test('feedback by hand, outside the schedule', async (t) => {
  const clock = new FakeClock();
  const gw = await gateway(t, clock);
  const sim = await testSimulator(t, { clock, feedback: { gatewayUrl: gw.url, secret: feedbackSecret } });
  const no = (await deliverCase(sim.primaryUrl, testSecret, '5', { timestampMs: clock.now() })).json.districtCaseNo;
  clock.advance(24 * 3600_000);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(gw.seen.length, 0, 'no delays configured: no schedule');
  const r = await sim.sendFeedback('5', 'returned', { note: '不属于本区职责' });
  t.match(r, { state: 'ok', action: 'returned', status: 200 });
  t.same(gw.seen[0]?.body, { caseId: '5', action: 'returned', at: chinaTime(clock.now()), districtCaseNo: no, note: '不属于本区职责' });
  const d = await sim.sendFeedback('99', 'dispatched', { unit: { id: 'u-2', tier: 2 } });
  t.same(gw.seen[1]?.body, { caseId: '99', action: 'dispatched', at: chinaTime(clock.now()), unit: { id: 'u-2', tier: 2 } }, 'an unknown case has no district number');
  t.equal(d.state, 'ok');
});

t.test('without feedback options nothing is scheduled and a manual send fails clearly', async (t) => {
  const clock = new FakeClock();
  const sim = await testSimulator(t, { clock });
  await deliverCase(sim.primaryUrl, testSecret, '1', { timestampMs: clock.now() });
  clock.advance(3600_000);
  t.same(sim.feedback(), []);
  t.match(await sim.sendFeedback('1', 'accepted'), { state: 'failed', error: /feedback is not configured/ });
});

t.test('reset cancels the schedule and forgets deliveries and feedback', async (t) => {
  const clock = new FakeClock();
  const gw = await gateway(t, clock);
  const sim = await testSimulator(t, { clock, feedback: { gatewayUrl: gw.url, secret: feedbackSecret, acceptAfterMs: minute } });
  await deliverCase(sim.primaryUrl, testSecret, '1', { timestampMs: clock.now() });
  await sim.setMode('backup', { type: 'down' });
  await sim.reset();
  clock.advance(2 * minute);
  await new Promise((r) => setTimeout(r, 20));
  t.equal(gw.seen.length, 0);
  t.same(sim.deliveries(), []);
  t.match(sim.stats(), { received: 0, unique: 0, feedback: { sent: 0 } });
  t.same(sim.modes(), { primary: { type: 'up' }, backup: { type: 'up' } });
  const again = await deliverCase(sim.backupUrl, testSecret, '1', { timestampMs: clock.now() });
  t.match(again.json, { duplicate: false, districtCaseNo: /000001$/ }, 'numbering starts again');
});

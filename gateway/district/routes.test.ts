import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { FakeClock } from '../core/clock.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { apiKey, testApp, testConfig, testDb } from '../http/test-support.js';
import { signBody } from '../outbox/signature.js';
import { createOutbox } from '../outbox/outbox.js';
import { caseHarness, type CaseHarness } from '../cases/test-support.js';
import type { DistrictLinkStatus } from './types.js';
import { districtRoutes } from './routes.js';

t.teardown(stopSharedPostgres);

const SECRET = 'district-feedback-secret-0123456789';
const linkStatus: DistrictLinkStatus = {
  configured: true, active: 'backup', switchedAt: '2026-01-01T08:00:00.000+08:00', switchReason: 'primary: connection refused',
  endpoints: [
    { name: 'primary', url: 'http://primary.example', healthy: false, consecutiveFailures: 3, lastOkAt: null, lastFailureAt: '2026-01-01T08:00:00.000+08:00', lastError: 'connection refused' },
    { name: 'backup', url: 'http://backup.example', healthy: true, consecutiveFailures: 0, lastOkAt: '2026-01-01T08:00:01.000+08:00', lastFailureAt: null, lastError: null },
  ],
};

interface Answer {
  status: number;
  json: Record<string, unknown>;
}
interface SignOptions {
  secret?: string;
  /** Epoch ms to sign with; default now. */
  ts?: number;
  nonce?: string;
  /** The exact body text; default JSON of the body. */
  raw?: string;
}

interface Rig {
  h: CaseHarness;
  app: Awaited<ReturnType<typeof testApp>>['app'];
  sign(body: unknown, o?: SignOptions): { payload: string; headers: Record<string, string> };
  send(payload: string, headers: Record<string, string>): Promise<Answer>;
  post(body: unknown, o?: SignOptions): Promise<Answer>;
  advance(ms: number): void;
  /** Everything feedback can change: the cases, their transitions, the events. */
  snapshot(): Promise<unknown>;
  nonces(): Promise<Array<{ nonce: string; outcome: string; case_id: string | null }>>;
}

async function rig(t: Test, feedbackSecret = SECRET): Promise<Rig> {
  const db = await testDb(t);
  const h = await caseHarness(t, { db, clock: new FakeClock() });
  const base = testConfig();
  const config = { ...base, district: { ...base.district, feedbackSecret } };
  const { app, clock } = await testApp(t, { db, config, areas: [{ prefix: '/district', plugin: districtRoutes({ feed: h.feed, cases: h.cases, linkStatus: () => linkStatus }) }] });
  const sign = (body: unknown, o: SignOptions = {}) => {
    const payload = o.raw ?? JSON.stringify(body);
    const ts = String(Math.floor((o.ts ?? clock.now()) / 1000));
    const nonce = o.nonce ?? randomBytes(16).toString('base64url');
    return { payload, headers: { 'content-type': 'application/json', 'x-cityops-timestamp': ts, 'x-cityops-nonce': nonce, 'x-cityops-signature': signBody(o.secret ?? SECRET, ts, payload, nonce) } };
  };
  const send = async (payload: string, headers: Record<string, string>): Promise<Answer> => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/district/feedback', payload, headers });
    return { status: r.statusCode, json: r.json<Record<string, unknown>>() };
  };
  return {
    h, app, sign, send,
    post: (body, o) => {
      const s = sign(body, o);
      return send(s.payload, s.headers);
    },
    advance(ms) {
      clock.advance(ms);
      h.clock.advance(ms);
    },
    async snapshot() {
      const q = async (sql: string) => (await db.query(sql)).rows;
      return { cases: await q('SELECT * FROM cases ORDER BY id'), transitions: await q('SELECT * FROM case_transitions ORDER BY id'), events: await q('SELECT id, type FROM events ORDER BY id') };
    },
    async nonces() {
      return (await db.query<{ nonce: string; outcome: string; case_id: string | null }>('SELECT nonce, outcome, case_id FROM district_feedback_nonces ORDER BY received_at_ms, nonce')).rows;
    },
  };
}

const china = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().replace('Z', '+08:00');

void t.test('good feedback drives the lifecycle; a retried step is a duplicate; accepted later stores the number', async (t) => {
  const r = await rig(t);
  const c = await r.h.open();
  r.advance(60_000);
  const now = () => r.h.clock.now();
  const accepted = await r.post({ caseId: c.id, action: 'accepted', at: china(now() - 5000), districtCaseNo: 'QP20260101000001' });
  t.equal(accepted.status, 200, JSON.stringify(accepted.json));
  t.match(accepted.json, { ok: true, duplicate: false, case: { id: c.id, status: 'reported', districtCaseNo: 'QP20260101000001', times: { reported: china(now() - 5000) } } });

  r.advance(60_000);
  const dispatched = await r.post({ caseId: c.id, action: 'dispatched', at: china(now()), unit: { id: 'fire-station-1', tier: 1, name: '消防一站' }, note: '派往消防一站' });
  t.match(dispatched.json, { ok: true, case: { status: 'dispatched', unit: { id: 'fire-station-1', tier: 1 } } });
  r.advance(60_000);
  const signedBody = { caseId: c.id, action: 'signed', at: china(now()) };
  t.match((await r.post(signedBody)).json, { ok: true, duplicate: false, case: { status: 'signed' } });
  const before = await r.snapshot();
  const again = await r.post(signedBody);
  t.equal(again.status, 200);
  t.match(again.json, { ok: true, duplicate: true, case: { status: 'signed' } }, 'the same step again (a retry after a lost answer, new nonce)');
  t.same(await r.snapshot(), before, 'nothing done twice');

  const late = await r.post({ caseId: c.id, action: 'accepted', at: china(now()), districtCaseNo: 'QP-NEW-2' });
  t.match(late.json, { ok: true, duplicate: false, case: { status: 'signed', districtCaseNo: 'QP-NEW-2' } }, 'accepted on a case past new: only the number is stored');

  for (const step of ['arrived', 'handled', 'verified', 'closed']) {
    r.advance(60_000);
    t.match((await r.post({ caseId: c.id, action: step, at: china(now()) })).json, { ok: true, case: { status: step } }, step);
  }
  const detail = await r.h.cases.detail(c.id);
  t.same(detail?.transitions.slice(1, 4).map((x) => [x.to, x.actor.type, x.data['via'], x.data['action']]), [
    ['reported', 'district', 'district_feedback', 'accepted'], ['dispatched', 'district', 'district_feedback', 'dispatched'], ['signed', 'district', 'district_feedback', 'signed'],
  ]);
  t.equal(detail?.transitions[2]?.note, '派往消防一站');
  t.equal(detail?.transitions[2]?.data['unitName'], '消防一站');
  t.same(new Set((await r.nonces()).map((n) => n.outcome)), new Set(['accepted']));
  t.equal((await r.nonces()).length, 9, 'every request spent its nonce');
  t.same((await r.h.events(['case.status'])).map((e) => e.data['to']), ['reported', 'dispatched', 'signed', 'arrived', 'handled', 'verified', 'closed']);
});

void t.test('bad feedback: each gets its error and nothing changes', async (t) => {
  const r = await rig(t);
  const c = await r.h.open();
  r.advance(60_000);
  const at = china(r.h.clock.now());
  const good = { caseId: c.id, action: 'accepted', at };
  const refused = async (what: string, call: () => Promise<Answer>, status: number, code: string, message?: RegExp): Promise<Answer> => {
    const before = await r.snapshot();
    const res = await call();
    t.equal(res.status, status, `${what}: ${status}`);
    t.match(res.json, { error: { code, ...(message ? { message } : {}) } }, `${what}: ${code}`);
    t.same(await r.snapshot(), before, `${what}: nothing changed`);
    return res;
  };

  // Not signed right: 401, and no nonce is spent.
  await refused('unsigned', () => r.send(JSON.stringify(good), { 'content-type': 'application/json' }), 401, 'GW_ERR_SIGNATURE', /X-CityOps-Timestamp, X-CityOps-Nonce, X-CityOps-Signature missing/);
  await refused('wrong key', () => r.post(good, { secret: 'not-the-district-key' }), 401, 'GW_ERR_SIGNATURE', /does not match/);
  const s = r.sign(good);
  await refused('tampered body', () => r.send(JSON.stringify({ ...good, action: 'closed' }), s.headers), 401, 'GW_ERR_SIGNATURE', /does not match/);
  await refused('stale timestamp', () => r.post(good, { ts: r.h.clock.now() - 6 * 60_000 }), 401, 'GW_ERR_SIGNATURE', /360 s behind the gateway's clock; at most 300 s/);
  await refused('timestamp ahead', () => r.post(good, { ts: r.h.clock.now() + 6 * 60_000 }), 401, 'GW_ERR_SIGNATURE', /ahead of/);
  await refused('malformed nonce', () => r.post(good, { nonce: 'short' }), 401, 'GW_ERR_SIGNATURE', /X-CityOps-Nonce must be 16 to 64/);
  await refused('not JSON', () => r.send('caseId=1', { ...r.sign(null, { raw: 'caseId=1' }).headers, 'content-type': 'text/plain' }), 415, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE');
  t.same(await r.nonces(), [], 'requests that fail the signature spend no nonce');

  // Signed right but refused: the nonce is spent.
  await refused('no body', async () => {
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/district/feedback', headers: r.sign(null, { raw: '' }).headers });
    return { status: res.statusCode, json: res.json<Record<string, unknown>>() };
  }, 400, 'GW_ERR_VALIDATION');
  const badJson = r.sign(null, { raw: '{"caseId": "1",' });
  await refused('body not JSON', () => r.send(badJson.payload, badJson.headers), 400, 'GW_ERR_VALIDATION', /not valid JSON/);
  const schema = await refused('unknown action', () => r.post({ ...good, action: 'teleported' }), 400, 'GW_ERR_VALIDATION', /action/);
  t.match(schema.json, { error: { details: [{ field: '/action' }] } });
  await refused('unknown property', () => r.post({ ...good, priority: 'high' }), 400, 'GW_ERR_VALIDATION', /priority/);
  await refused('at in the future', () => r.post({ ...good, at: china(r.h.clock.now() + 3_600_000) }), 400, 'GW_ERR_VALIDATION', /in the future/);
  await refused('dispatched without unit', () => r.post({ ...good, action: 'dispatched' }), 400, 'GW_ERR_VALIDATION', /unit/);
  await refused('unknown case', () => r.post({ ...good, caseId: '999999' }), 404, 'GW_ERR_NOT_FOUND', /case 999999 does not exist/);
  const illegal = r.sign({ ...good, action: 'closed' });
  await refused('illegal transition', () => r.send(illegal.payload, illegal.headers), 409, 'GW_ERR_CASE_TRANSITION', new RegExp(`case ${c.id} is new: it cannot be closed`));
  t.same((await r.nonces()).map((n) => `${n.outcome} ${n.case_id}`).sort(), [
    'refused 999999', ...Array.from({ length: 5 }, () => `refused ${c.id}`), 'refused null', 'refused null',
  ].sort(), 'each signed refusal spent its nonce');
  await refused('a refused request replayed', () => r.send(illegal.payload, illegal.headers), 409, 'GW_ERR_REPLAY');

  // Replays of a good request.
  const ok = r.sign(good);
  t.equal((await r.send(ok.payload, ok.headers)).status, 200, 'the original');
  await refused('replayed nonce', () => r.send(ok.payload, ok.headers), 409, 'GW_ERR_REPLAY', /used before/);
  const dispatch = r.sign({ ...good, action: 'dispatched', unit: { id: 'fire-1', tier: 1 } });
  const both = await Promise.all([r.send(dispatch.payload, dispatch.headers), r.send(dispatch.payload, dispatch.headers)]);
  t.same(both.map((a) => a.status).sort(), [200, 409], 'of two concurrent replays exactly one is taken');
  t.equal((await r.h.cases.detail(c.id))?.transitions.filter((x) => x.to === 'dispatched').length, 1, 'dispatched once');
});

void t.test('feedback is refused while district.feedbackSecret is empty', async (t) => {
  const r = await rig(t, '');
  const c = await r.h.open();
  const res = await r.post({ caseId: c.id, action: 'accepted', at: china(r.h.clock.now()) }, { secret: '' });
  t.equal(res.status, 401);
  t.match(res.json, { error: { code: 'GW_ERR_SIGNATURE', message: /not enabled/ } });
});

void t.test('old nonces are pruned once no timestamp could bring them back', async (t) => {
  const r = await rig(t);
  const c = await r.h.open();
  await r.post({ caseId: '424242', action: 'accepted', at: china(r.h.clock.now()) }, { nonce: 'first-nonce-000000001' });
  r.advance(10 * 60_000 + 1);
  await r.post({ caseId: c.id, action: 'accepted', at: china(r.h.clock.now()) }, { nonce: 'second-nonce-00000001' });
  t.same((await r.nonces()).map((n) => n.nonce), ['second-nonce-00000001'], 'kept 2 × 5 minutes, then gone');
});

void t.test('the link status: link, district messages by state, oldest pending; ops, district and viewer', async (t) => {
  const r = await rig(t);
  const db = r.h.db;
  const outbox = createOutbox({ db, clock: r.h.clock, logger: pino({ level: 'silent' }), config: testConfig().outbox });
  const t0 = r.h.clock.now();
  await db.transaction(async (tx) => {
    for (const key of ['a', 'b', 'c', 'd']) await outbox.enqueue(tx, { channel: 'district', key, payload: {} });
    await outbox.enqueue(tx, { channel: 'sms', key: 'x', payload: {} });
  });
  r.advance(1000);
  await db.transaction((tx) => outbox.enqueue(tx, { channel: 'district', key: 'e', payload: {} }));
  await db.query("UPDATE outbox SET state = CASE idem_key WHEN 'a' THEN 'delivered' WHEN 'b' THEN 'given_up' WHEN 'c' THEN 'failed' ELSE state END");
  r.advance(4000);
  const viewer = await apiKey(r.app, { role: 'viewer' });
  const res = await r.app.inject({ method: 'GET', url: '/api/v1/district/status', headers: { 'x-api-key': viewer.key } });
  t.equal(res.statusCode, 200);
  t.same(res.json(), {
    link: linkStatus,
    messages: { pending: 2, delivered: 1, failed: 1, given_up: 1, oldestPendingAt: china(t0), oldestPendingAgeMs: 5000 },
  });
  const district = await apiKey(r.app, { role: 'district' });
  t.equal((await r.app.inject({ method: 'GET', url: '/api/v1/district/status', headers: { 'x-api-key': district.key } })).statusCode, 200);
  const vendor = await apiKey(r.app, { role: 'vendor', vendor: 'acme' });
  t.equal((await r.app.inject({ method: 'GET', url: '/api/v1/district/status', headers: { 'x-api-key': vendor.key } })).statusCode, 403);
  t.equal((await r.app.inject({ method: 'GET', url: '/api/v1/district/status' })).statusCode, 401);
});

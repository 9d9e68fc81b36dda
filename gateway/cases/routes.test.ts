import t, { type Test } from 'tap';
import { pino } from 'pino';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { apiKey, asAdmin, bearer, testAdminToken, testApp, userSession } from '../http/test-support.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { signBody } from '../outbox/signature.js';
import { caseRoutes } from './routes.js';
import { T0, caseHarness, sources } from './test-support.js';

t.teardown(stopSharedPostgres);

/** The case service and the HTTP app on one database, their clocks moved together. */
async function setup(t: Test) {
  const h = await caseHarness(t);
  const authenticateRef: { fn?: ReturnType<typeof createAuthenticator> } = {};
  const { app, clock } = await testApp(t, {
    db: h.db,
    config: h.config,
    areas: [{ prefix: '/cases', plugin: caseRoutes(h.cases, { authenticate: (headers) => (authenticateRef.fn as NonNullable<typeof authenticateRef.fn>)(headers) }) }],
  });
  authenticateRef.fn = createAuthenticator({ db: h.db, clock, logger: pino({ level: 'silent' }), adminToken: testAdminToken });
  clock.advance(T0 - clock.now());
  const advance = (ms: number) => {
    h.clock.advance(ms);
    clock.advance(ms);
  };
  const tokens = {
    ops: (await userSession(app, { username: 'zhang', role: 'ops' })).token,
    viewer: (await userSession(app, { username: 'li', role: 'viewer' })).token,
    district: (await userSession(app, { username: 'qu', role: 'district' })).token,
    vendor: (await userSession(app, { username: 'acme', role: 'vendor', vendor: 'acme' })).token,
    platform: (await apiKey(app, { role: 'platform', platform: 'ctwing' })).key,
  };
  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) => {
    const auth = opts.token === null ? {} : opts.token ? bearer(opts.token) : asAdmin;
    const r = await app.inject({ method, url: `/api/v1${url}`, headers: { ...auth, ...opts.headers }, ...(opts.body !== undefined ? { payload: opts.body as object } : {}) });
    return { status: r.statusCode, body: String(r.headers['content-type']).startsWith('application/json') ? r.json() : r.body, headers: r.headers };
  };
  /** A signed POST /cases as an external source; `tamper` changes the body after signing. */
  const signed = async (body: unknown, opts: { source?: string; secret?: string; skewS?: number; tamper?: (s: string) => string; omit?: 'signature' | 'timestamp' } = {}) => {
    const source = sources.find((s) => s.id === (opts.source ?? '12345'));
    const text = JSON.stringify(body);
    const ts = String(Math.floor(clock.now() / 1000) + (opts.skewS ?? 0));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-cityops-source': opts.source ?? '12345' };
    if (opts.omit !== 'timestamp') headers['x-cityops-timestamp'] = ts;
    if (opts.omit !== 'signature') headers['x-cityops-signature'] = signBody(opts.secret ?? source?.secret ?? 'none', ts, text);
    const r = await app.inject({ method: 'POST', url: '/api/v1/cases', headers, payload: opts.tamper ? opts.tamper(text) : text });
    return { status: r.statusCode, body: r.json() };
  };
  return { h, app, clock, advance, tokens, call, signed };
}

const report = { externalId: 'RX-20260601-001', category: 'manhole', title: '井盖缺失', description: '市民来电：人民路井盖缺失', block: '310117006-001', location: { address: '松江区人民路', lon: 121.2, lat: 31.0 }, incidentAt: '2026-06-01T09:50:00+08:00', grade: 'yellow' };

void t.test('external sources: signed, idempotent on externalId, refused when the signature is missing, wrong or stale', async (t) => {
  const { signed, h } = await setup(t);
  const first = await signed(report);
  t.equal(first.status, 201, JSON.stringify(first.body));
  t.match(first.body, { duplicate: false, case: { source: 'external', sourceName: '12345', externalId: report.externalId, category: 'manhole', blockCode: '310117006001', incidentAt: '2026-06-01T09:50:00.000+08:00', grade: 'yellow', createdBy: 'source:12345', status: 'new' } });
  const again = await signed({ ...report, title: '再次来电' });
  t.equal(again.status, 200);
  t.same(again.body, { duplicate: true, case: first.body.case });
  const withDefault = await signed({ ...report, externalId: 'J-1', category: undefined }, { source: '110' });
  t.match(withDefault, { status: 201, body: { case: { sourceName: '110', category: 'public_security' } } }, 'the source\'s configured category');

  const refusals: Array<[string, Awaited<ReturnType<typeof signed>>, RegExp]> = [
    ['no signature', await signed({ ...report, externalId: 'X1' }, { omit: 'signature' }), /must carry X-CityOps-Timestamp and X-CityOps-Signature/],
    ['no timestamp', await signed({ ...report, externalId: 'X2' }, { omit: 'timestamp' }), /must carry/],
    ['another source\'s key', await signed({ ...report, externalId: 'X3' }, { secret: sources[1]?.secret ?? '' }), /signature does not match/],
    ['a tampered body', await signed({ ...report, externalId: 'X4' }, { tamper: (s) => s.replace('井盖缺失', '井盖正常') }), /signature does not match/],
    ['a stale timestamp', await signed({ ...report, externalId: 'X5' }, { skewS: -301 }), /301 s from now, outside the allowed 300 s/],
    ['a timestamp from the future', await signed({ ...report, externalId: 'X6' }, { skewS: 600 }), /outside the allowed/],
    ['an unknown source', await signed({ ...report, externalId: 'X7' }, { source: '999' }), /case source "999" is not configured/],
  ];
  for (const [what, r, message] of refusals) t.match(r, { status: 401, body: { error: { code: 'GW_ERR_SIGNATURE', message } } }, what);
  t.equal((await h.cases.list({})).cases.length, 2, 'nothing opened by a refused request');

  const noId = await signed({ ...report, externalId: undefined });
  t.match(noId, { status: 400, body: { error: { code: 'GW_ERR_VALIDATION', message: /externalId/ } } });
  const noTime = await signed({ ...report, externalId: 'X8', incidentAt: undefined });
  t.match(noTime, { status: 400, body: { error: { message: /incidentAt/ } } });
  const badBody = await signed({ ...report, externalId: 'X9', grade: 'purple' });
  t.match(badBody, { status: 400, body: { error: { code: 'GW_ERR_VALIDATION' } } });
  const badBodyBadSig = await signed({ ...report, grade: 'purple' }, { omit: 'signature' });
  t.equal(badBodyBadSig.status, 401, 'the signature is checked before the body');
});

void t.test('by hand: ops and admin open cases (audited); others may not', async (t) => {
  const { call, tokens, h } = await setup(t);
  const body = { category: 'rainstorm', title: '道路积水', block: '310117006001003012', grade: 'orange' };
  const r = await call('POST', '/cases', { token: tokens.ops, body });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.match(r.body.case, { source: 'manual', category: 'rainstorm', grade: 'orange', createdAt: '2026-06-01T10:00:00.000+08:00', incidentAt: '2026-06-01T10:00:00.000+08:00' });
  const audit = await h.db.query<{ action: string; actor_name: string; target_id: string }>(`SELECT action, actor_name, target_id FROM audit_log WHERE target_type = 'case'`);
  t.same(audit.rows, [{ action: 'case.create', actor_name: 'zhang', target_id: r.body.case.id }]);
  t.equal((await call('POST', '/cases', { body })).status, 201, 'admin');
  t.match(await call('POST', '/cases', { token: tokens.ops, body: { title: 'x' } }), { status: 400, body: { error: { message: /category is required/ } } });
  t.match(await call('POST', '/cases', { token: tokens.viewer, body }), { status: 403, body: { error: { code: 'GW_ERR_FORBIDDEN' } } });
  t.match(await call('POST', '/cases', { token: tokens.district, body }), { status: 403 });
  t.match(await call('POST', '/cases', { token: null, body }), { status: 401, body: { error: { code: 'GW_ERR_UNAUTHENTICATED', message: /X-CityOps-Source/ } } });
  t.match(await call('POST', '/cases', { token: 'cos_unknown', body }), { status: 401 });
});

void t.test('steps by hand, with a note, audited; illegal steps and bad input refused', async (t) => {
  const { call, tokens, h, advance } = await setup(t);
  const c = (await call('POST', '/cases', { token: tokens.ops, body: { category: 'fire', title: '电瓶车起火' } })).body.case;
  advance(60_000);
  const closed = await call('POST', `/cases/${c.id}/transitions`, { token: tokens.ops, body: { to: 'closed' } });
  t.match(closed, { status: 409, body: { error: { code: 'GW_ERR_CASE_TRANSITION', message: `case ${c.id} is new: it cannot be closed (closed is allowed from handled, verified)` } } });
  const d = await call('POST', `/cases/${c.id}/transitions`, { token: tokens.ops, body: { to: 'dispatched', unit: { id: 'fire-team', tier: 1 }, note: '电话派遣', at: '2026-06-01T10:00:30+08:00' } });
  t.equal(d.status, 200, JSON.stringify(d.body));
  t.match(d.body, { status: 'dispatched', unit: { id: 'fire-team', tier: 1 }, times: { dispatched: '2026-06-01T10:00:30.000+08:00' } });
  const detail = await call('GET', `/cases/${c.id}`, { token: tokens.viewer });
  t.match(detail.body.transitions.at(-1), { from: 'new', to: 'dispatched', note: '电话派遣', actor: { type: 'user' } });
  const audit = await h.db.query<{ action: string; before: { status: string }; after: { status: string } }>(`SELECT action, before, after FROM audit_log WHERE action = 'case.transition'`);
  t.match(audit.rows, [{ before: { status: 'new' }, after: { status: 'dispatched' } }]);
  t.match(await call('POST', `/cases/${c.id}/transitions`, { token: tokens.ops, body: { to: 'signed', at: '2026-06-01T11:00:00+08:00' } }), { status: 400, body: { error: { message: /future/ } } });
  t.match(await call('POST', `/cases/${c.id}/transitions`, { token: tokens.ops, body: { to: 'new' } }), { status: 400 });
  t.match(await call('POST', `/cases/${c.id}/transitions`, { token: tokens.ops, body: { to: 'dispatched', unit: { id: 'nobody' } } }), { status: 400, body: { error: { message: /no tier was given/ } } });
  t.match(await call('POST', '/cases/777/transitions', { token: tokens.ops, body: { to: 'reported' } }), { status: 404, body: { error: { code: 'GW_ERR_NOT_FOUND' } } });
  t.match(await call('GET', '/cases/777'), { status: 404 });
  t.match(await call('GET', '/cases/abc'), { status: 400 });
});

void t.test('list filters and paging over HTTP', async (t) => {
  const { call, tokens, signed, advance } = await setup(t);
  await signed(report);
  advance(1000);
  const m = (await call('POST', '/cases', { token: tokens.ops, body: { category: 'rainstorm', title: 'a', block: '320000000000000001' } })).body.case;
  await call('POST', `/cases/${m.id}/transitions`, { body: { to: 'dispatched', unit: { id: 'u1', tier: 1 } } });
  const ids = async (q: string) => {
    const r = await call('GET', `/cases${q}`, { token: tokens.district });
    t.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
    return (r.body.cases as Array<{ source: string }>).map((c) => c.source);
  };
  t.same(await ids(''), ['manual', 'external']);
  t.same(await ids('?status=dispatched'), ['manual']);
  t.same(await ids('?status=new&status=dispatched'), ['manual', 'external']);
  t.same(await ids('?source=external'), ['external']);
  t.same(await ids('?block=310117'), ['external']);
  t.same(await ids('?unit=u1'), ['manual']);
  t.same(await ids(`?from=${new Date(T0 + 500).toISOString()}`), ['manual']);
  t.same(await ids(`?to=${new Date(T0 + 500).toISOString()}`), ['external']);
  const page = await call('GET', '/cases?limit=1');
  t.equal(page.body.cases.length, 1);
  t.same((await call('GET', `/cases?limit=1&cursor=${page.body.nextCursor}`)).body.cases.map((c: { source: string }) => c.source), ['external']);
  t.equal((await call('GET', '/cases?status=open')).status, 400);
  t.equal((await call('GET', `/cases?from=${new Date(T0).toISOString()}&to=${new Date(T0).toISOString()}`)).status, 400);
});

void t.test('written report over HTTP: draft, edit, conflict, confirm (audited)', async (t) => {
  const { call, tokens, h } = await setup(t);
  const c = (await call('POST', '/cases', { token: tokens.ops, body: { category: 'rainstorm', title: '道路积水', grade: 'red' } })).body.case;
  const draft = await call('GET', `/cases/${c.id}/written-report`, { token: tokens.viewer });
  t.match(draft, { status: 200, body: { version: 0, confirmed: false, report: { grade: 'red', casualties: 'unknown' } } });
  const put = await call('PUT', `/cases/${c.id}/written-report`, { token: tokens.ops, body: { report: { ...draft.body.report, casualties: '无' }, baseVersion: 0 } });
  t.match(put, { status: 200, body: { version: 1, confirmed: false, versions: [{ version: 1, editedBy: { name: 'zhang' } }] } });
  t.match(await call('PUT', `/cases/${c.id}/written-report`, { token: tokens.ops, body: { report: draft.body.report, baseVersion: 0 } }), { status: 409, body: { error: { code: 'GW_ERR_CONFLICT' } } });
  t.match(await call('PUT', `/cases/${c.id}/written-report`, { token: tokens.ops, body: { report: { ...draft.body.report, when: 'yesterday' } } }), { status: 400 });
  t.match(await call('PUT', `/cases/${c.id}/written-report`, { token: tokens.ops, body: { report: { ...draft.body.report, extra: 1 } } }), { status: 400 });
  t.match(await call('POST', `/cases/${c.id}/written-report/confirm`, { token: tokens.ops, body: { version: 0 } }), { status: 409 });
  const confirmed = await call('POST', `/cases/${c.id}/written-report/confirm`, { token: tokens.ops });
  t.match(confirmed, { status: 200, body: { version: 1, confirmed: true, lastConfirmed: { version: 1, by: { name: 'zhang' } } } });
  t.equal((await h.events(['case.report_confirmed'])).length, 1);
  const versions = await call('GET', `/cases/${c.id}/written-report/versions`, { token: tokens.district });
  t.match(versions.body.versions, [{ version: 1, report: { casualties: '无' }, confirmedBy: { name: 'zhang' } }]);
  const audit = await h.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target_type = 'case' ORDER BY id`);
  t.same(audit.rows.map((r) => r.action), ['case.create', 'case.report_edit', 'case.report_confirm']);
  t.match(await call('GET', '/cases/4242/written-report'), { status: 404 });
});

void t.test('every route declares its roles', async (t) => {
  const { call, tokens } = await setup(t);
  const c = (await call('POST', '/cases', { body: { category: 'rainstorm', title: 'x' } })).body.case;
  const reportBody = { report: { what: 'x', where: 'y', when: '2026-06-01T10:00:00+08:00', grade: null, areaAffected: 'unknown', casualties: 'unknown', losses: 'unknown', measuresTaken: '', pictures: [], nextSteps: '' } };
  const routes: Array<{ method: 'GET' | 'POST' | 'PUT'; url: string; body?: unknown; allowed: Array<keyof typeof tokens> }> = [
    { method: 'GET', url: '/cases', allowed: ['ops', 'viewer', 'district'] },
    { method: 'GET', url: `/cases/${c.id}`, allowed: ['ops', 'viewer', 'district'] },
    { method: 'POST', url: '/cases', body: { category: 'fire', title: 'y' }, allowed: ['ops'] },
    { method: 'POST', url: `/cases/${c.id}/transitions`, body: { to: 'suspended' }, allowed: ['ops'] },
    { method: 'GET', url: `/cases/${c.id}/written-report`, allowed: ['ops', 'viewer', 'district'] },
    { method: 'GET', url: `/cases/${c.id}/written-report/versions`, allowed: ['ops', 'viewer', 'district'] },
    { method: 'PUT', url: `/cases/${c.id}/written-report`, body: reportBody, allowed: ['ops'] },
    { method: 'POST', url: `/cases/${c.id}/written-report/confirm`, body: {}, allowed: ['ops'] },
    { method: 'GET', url: `/cases/${c.id}/deliveries`, allowed: ['ops'] },
    { method: 'GET', url: `/cases/${c.id}/file`, allowed: ['ops'] },
  ];
  for (const r of routes) {
    t.equal((await call(r.method, r.url, { token: null, ...(r.body ? { body: r.body } : {}) })).status, 401, `${r.method} ${r.url} without credentials`);
    for (const role of Object.keys(tokens) as Array<keyof typeof tokens>) {
      const res = await call(r.method, r.url, { token: tokens[role], ...(r.body ? { body: r.body } : {}) });
      if (r.allowed.includes(role)) t.ok(res.status < 400 || res.status === 409, `${role} may ${r.method} ${r.url} (${res.status})`);
      else t.equal(res.status, 403, `${role} may not ${r.method} ${r.url}`);
    }
  }
});

void t.test('the OpenAPI document lists the case routes, the file in both formats', async (t) => {
  const { app } = await setup(t);
  const r = await app.inject({ url: '/docs/json' });
  t.equal(r.statusCode, 200);
  const doc = r.json<{ paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>> }>();
  for (const p of ['/api/v1/cases', '/api/v1/cases/{id}', '/api/v1/cases/{id}/transitions', '/api/v1/cases/{id}/written-report', '/api/v1/cases/{id}/written-report/confirm', '/api/v1/cases/{id}/deliveries', '/api/v1/cases/{id}/file']) {
    t.ok(doc.paths[p], p);
  }
  t.same(Object.keys(doc.paths['/api/v1/cases/{id}/file']?.['get']?.responses['200']?.content ?? {}).sort(), ['application/json', 'text/html']);
  t.same(doc.paths['/api/v1/cases']?.['post']?.security, [], 'POST /cases needs no bearer credentials: a source signs instead');
});

import t, { type Test } from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { apiKey, asAdmin, bearer, testApp, userSession } from '../http/test-support.js';
import { warningRoutes } from './routes.js';
import { silenceRoutes } from './silence-routes.js';
import { T0, harness, transition } from './test-support.js';

t.teardown(stopSharedPostgres);

/** The warning service and the HTTP app on one database, their clocks moved together. */
async function setup(t: Test) {
  const h = await harness(t);
  const { app, clock } = await testApp(t, { db: h.db, areas: [{ prefix: '/warnings', plugin: warningRoutes(h.service) }, { prefix: '/silences', plugin: silenceRoutes }] });
  clock.advance(T0 - clock.now());
  const advance = (ms: number) => {
    h.clock.advance(ms);
    clock.advance(ms);
  };
  const ops = await userSession(app, { username: 'zhang', role: 'ops' });
  const viewer = await userSession(app, { username: 'li', role: 'viewer' });
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, opts: { token?: string; body?: unknown } = {}) => {
    const r = await app.inject({ method, url: `/api/v1${url}`, headers: opts.token ? bearer(opts.token) : asAdmin, ...(opts.body !== undefined ? { payload: opts.body as object } : {}) });
    return { status: r.statusCode, body: r.json() };
  };
  return { h, app, advance, ops: ops.token, viewer: viewer.token, call };
}

void t.test('list with filters and cursor paging', async (t) => {
  const { h, call, viewer } = await setup(t);
  await h.apply([
    transition('wl-1', 0, 1, T0),
    transition('wl-2', 0, 3, T0 + 1000, { exercise: true }),
    transition('wl-3', 0, 4, T0 + 2000, { blockCode: '320000000000000001', kind: 'manhole', fingerprint: 'waterlogging/wl-3' }),
    transition('wl-4', 0, 2, T0 + 3000),
  ]);
  await h.apply([transition('wl-4', 2, 0, T0 + 4000)]);
  const ids = async (query: string) => {
    const r = await call('GET', `/warnings${query}`, { token: viewer });
    t.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
    return (r.body.warnings as Array<{ deviceId: string }>).map((w) => w.deviceId);
  };
  t.same(await ids(''), ['wl-4', 'wl-3', 'wl-2', 'wl-1'], 'newest first');
  t.same(await ids('?state=open'), ['wl-3', 'wl-2', 'wl-1']);
  t.same(await ids('?state=cleared'), ['wl-4']);
  t.same(await ids('?grade=orange'), ['wl-2']);
  t.same(await ids('?minGrade=orange'), ['wl-3', 'wl-2']);
  t.same(await ids('?kind=manhole'), ['wl-3']);
  t.same(await ids('?block=310117006-001'), ['wl-4', 'wl-2', 'wl-1'], 'block prefix, dashes ignored');
  t.same(await ids('?rule=waterlogging&device=wl-2'), ['wl-2']);
  t.same(await ids(`?from=${new Date(T0 + 1000).toISOString()}&to=${new Date(T0 + 3000).toISOString()}`), ['wl-3', 'wl-2']);
  t.same(await ids('?exercise=true'), ['wl-2']);
  const page1 = await call('GET', '/warnings?limit=3');
  t.equal(page1.body.warnings.length, 3);
  const page2 = await call('GET', `/warnings?limit=3&cursor=${page1.body.nextCursor}`);
  t.same(page2.body.warnings.map((w: { deviceId: string }) => w.deviceId), ['wl-1']);
  t.equal(page2.body.nextCursor, null);
  t.equal((await call('GET', '/warnings?grade=purple')).status, 400);
  t.equal((await call('GET', `/warnings?from=${new Date(T0).toISOString()}&to=${new Date(T0).toISOString()}`)).status, 400);
});

void t.test('detail: the timeline with the 叫应 call log merged in', async (t) => {
  const { h, call } = await setup(t);
  await h.apply([transition('wl-1', 0, 2, T0)]);
  await h.apply([transition('wl-1', 2, 3, T0 + 1000)]);
  const id = (await h.warnings())[0]?.id;
  const r = await call('GET', `/warnings/${id}`);
  t.equal(r.status, 200);
  t.match(r.body.warning, { id: String(id), grade: 'orange', peakGrade: 'orange', state: 'active', ruleId: 'waterlogging', raisedAt: new Date(T0).toISOString() });
  const types = r.body.timeline.map((e: { type: string }) => e.type);
  t.ok(types.includes('raised') && types.includes('upgraded') && types.includes('notified') && types.includes('case_requested'), types.join(','));
  t.ok(r.body.timeline.some((e: { source: string; type: string }) => e.source === 'duty' && e.type.startsWith('callout.')), 'duty entries merged in');
  t.equal((await call('GET', '/warnings/999999')).status, 404);
  t.equal((await call('GET', '/warnings/abc')).status, 400);
});

void t.test('acknowledge: who, the callout stops, an event and an audit record', async (t) => {
  const { h, call, ops, viewer, app } = await setup(t);
  await h.apply([transition('wl-1', 0, 4, T0)]);
  const id = String((await h.warnings())[0]?.id);
  t.match(await h.duty.status(id), { state: 'calling' });
  t.equal((await call('POST', `/warnings/${id}/acknowledge`, { token: viewer, body: {} })).status, 403, 'viewers cannot acknowledge');
  const r = await call('POST', `/warnings/${id}/acknowledge`, { token: ops, body: { note: 'on my way' } });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.match(r.body, { state: 'acknowledged', acknowledgedBy: 'zhang', acknowledgedAt: new Date(T0).toISOString() });
  t.match(await h.duty.status(id), { state: 'acknowledged', acknowledgedBy: 'zhang' }, 'the callout stops');
  t.match((await h.events(['warning.acknowledged']))[0]?.data, { by: 'zhang', note: 'on my way' });
  const again = await call('POST', `/warnings/${id}/acknowledge`, { token: ops, body: {} });
  t.equal(again.status, 200, 'acknowledging twice is harmless');
  t.equal((await h.events(['warning.acknowledged'])).length, 1, '…and records nothing more');
  const audit = await call('GET', '/audit?limit=100');
  t.ok(audit.body.records.some((a: { action: string; target: { id: string } }) => a.action === 'warning.acknowledge' && a.target.id === id), 'audited');

  // An upgrade to a grade that needs 叫应 needs a new acknowledgement; a platform key may give it.
  await h.apply([transition('wl-1', 4, 3, T0 + 1000)]);
  t.equal((await h.warning(id)).state, 'acknowledged', 'a downgrade keeps the acknowledgement');
  const platform = await apiKey(app, { role: 'platform', platform: 'ctwing' });
  t.equal((await call('POST', `/warnings/${id}/acknowledge`, { token: platform.key })).status, 200, 'platform keys may acknowledge (no body needed)');
  await h.apply([transition('wl-1', 3, 0, T0 + 2000)]);
  const cleared = await call('POST', `/warnings/${id}/acknowledge`, { token: ops, body: {} });
  t.equal(cleared.status, 409);
  t.equal(cleared.body.error.code, 'GW_ERR_CONFLICT');
});

void t.test('an upgrade past an acknowledgement asks again; the phone callback marks the warning', async (t) => {
  const { h, call, ops } = await setup(t);
  await h.apply([transition('wl-1', 0, 3, T0)]);
  const id = String((await h.warnings())[0]?.id);
  await call('POST', `/warnings/${id}/acknowledge`, { token: ops, body: {} });
  await h.apply([transition('wl-1', 3, 4, T0 + 1000)]);
  t.match(await h.warning(id), { state: 'active', acknowledged_by: null }, 'red needs a new acknowledgement');
  t.match(await h.duty.status(id), { state: 'calling' });
  const viaPhone = await h.duty.acknowledgeNow(id, { actor: 'phone:officer-a', personId: 'officer-a' }, h.clock.now());
  t.ok(viaPhone.acknowledged);
  t.match(await h.warning(id), { state: 'acknowledged', acknowledged_by: 'phone:officer-a' }, 'the duty hook marks the warning');
});

void t.test('comments and manual clear', async (t) => {
  const { h, call, ops, viewer, advance } = await setup(t);
  await h.apply([transition('wl-1', 0, 3, T0)]);
  const id = String((await h.warnings())[0]?.id);
  const c = await call('POST', `/warnings/${id}/comments`, { token: ops, body: { text: '现场已派人' } });
  t.equal(c.status, 201);
  t.equal((await call('POST', `/warnings/${id}/comments`, { token: viewer, body: { text: 'x' } })).status, 403);
  t.equal((await call('POST', `/warnings/${id}/comments`, { token: ops, body: { text: '' } })).status, 400);
  advance(5000);
  t.equal((await call('POST', `/warnings/${id}/clear`, { token: ops, body: {} })).status, 400, 'a reason is required');
  const r = await call('POST', `/warnings/${id}/clear`, { token: ops, body: { reason: 'sensor flooded by street cleaning' } });
  t.equal(r.status, 200);
  t.match(r.body, { state: 'cleared', clearedAt: new Date(T0 + 5000).toISOString() });
  const detail = await call('GET', `/warnings/${id}`);
  t.match(detail.body.timeline.find((e: { type: string }) => e.type === 'comment'), { actor: 'zhang', text: '现场已派人' });
  t.match(detail.body.timeline.find((e: { type: string }) => e.type === 'manual_clear'), { actor: 'zhang', text: 'sensor flooded by street cleaning', fromGrade: 'orange' });
  t.match(await h.duty.status(id), { state: 'cancelled' }, 'the callout stops');
  t.match((await h.events(['warning.cleared']))[0]?.data, { by: 'zhang', transition: { manual: true, from: 'orange', to: null } });
  t.equal((await h.events(['warning.comment'])).length, 1);
  t.ok((await h.outbox()).some((m) => m.key === `warning:${id}:cleared:${T0 + 5000}:mqtt`), 'MQTT hears it is lifted');
  t.equal((await call('POST', `/warnings/${id}/clear`, { token: ops, body: { reason: 'again' } })).status, 409);

  // The engine still held orange: its clear is ignored; its next change is a new warning.
  await h.apply([transition('wl-1', 3, 0, T0 + 6000)]);
  t.equal((await h.warnings()).length, 1);
  await h.apply([transition('wl-1', 0, 2, T0 + 9000)]);
  t.equal((await h.warnings()).length, 2);
});

void t.test('silences: create, list, effect, delete; audited; reason and a matcher required', async (t) => {
  const { h, call, ops, viewer } = await setup(t);
  const body = { matchers: { blocks: ['310117006-001'], kinds: ['waterlogging'] }, endsAt: new Date(T0 + 3_600_000).toISOString(), reason: 'drain works on 岳阳路' };
  t.equal((await call('POST', '/silences', { token: viewer, body })).status, 403);
  t.equal((await call('POST', '/silences', { token: ops, body: { ...body, reason: undefined } })).status, 400, 'reason required');
  t.equal((await call('POST', '/silences', { token: ops, body: { ...body, matchers: {} } })).status, 400, 'a silence must not mute everything');
  t.equal((await call('POST', '/silences', { token: ops, body: { ...body, endsAt: new Date(T0 - 1).toISOString() } })).status, 400, 'ending in the past');
  const created = await call('POST', '/silences', { token: ops, body });
  t.equal(created.status, 201, JSON.stringify(created.body));
  t.match(created.body, { author: 'zhang', state: 'active', matchers: { blocks: ['310117006001'], kinds: ['waterlogging'], devices: [], rules: [] } });

  await h.apply([transition('wl-1', 0, 4, T0 + 1000)]);
  const w = (await h.warnings())[0];
  t.equal(w?.silenced, true);
  t.same(await h.outbox(), []);

  const listed = await call('GET', '/silences', { token: viewer });
  t.same(listed.body.silences.map((s: { id: string }) => s.id), [created.body.id]);
  const del = await call('DELETE', `/silences/${created.body.id}`, { token: ops });
  t.equal(del.status, 200);
  t.match(del.body, { state: 'deleted', deletedBy: 'zhang' });
  t.same((await call('GET', '/silences')).body.silences, [], 'gone from the default list');
  t.equal((await call('GET', '/silences?all=true')).body.silences.length, 1, 'kept for the record');
  t.equal((await call('DELETE', '/silences/424242', { token: ops })).status, 404);
  const audit = await call('GET', '/audit?limit=100');
  t.same(audit.body.records.filter((a: { action: string }) => a.action.startsWith('silence.')).map((a: { action: string }) => a.action), ['silence.create', 'silence.delete']);

  await h.apply([transition('wl-1', 4, 3, T0 + 2000)]);
  t.ok((await h.outbox()).length > 0, 'after the silence is deleted, changes go out');
});

void t.test('bad input names what is wrong: a bare POST, a misspelt kind, a silence ending in the past', async (t) => {
  const { h, app, call, ops } = await setup(t);
  await h.apply([transition('wl-1', 0, 3, T0)]);
  const id = String((await h.warnings())[0]?.id);
  for (const [path, field] of [['clear', '/reason'], ['comments', '/text']] as const) {
    const r = await app.inject({ method: 'POST', url: `/api/v1/warnings/${id}/${path}`, headers: bearer(ops) });
    t.equal(r.statusCode, 400);
    t.match(r.json(), { error: { code: 'GW_ERR_VALIDATION', details: [{ field, message: 'is required' }] } }, `POST …/${path} without a body: the missing field is named`);
  }
  const endsAt = new Date(T0 + 3_600_000).toISOString();
  const typo = await call('POST', '/silences', { token: ops, body: { matchers: { kinds: ['waterloging'] }, endsAt, reason: 'x' } });
  t.equal(typo.status, 400, 'a misspelt kind would mute nothing');
  t.match(typo.body, { error: { details: [{ field: '/matchers/kinds/0' }] } });
  const past = await call('POST', '/silences', { token: ops, body: { matchers: { kinds: ['waterlogging'] }, endsAt: new Date(T0 - 1).toISOString(), reason: 'x' } });
  t.match(past.body, { error: { message: /in the past/, details: [{ field: '/endsAt', message: 'must be in the future' }] } });
  const reversed = await call('POST', '/silences', { token: ops, body: { matchers: { kinds: ['waterlogging'] }, startsAt: new Date(T0 + 7_200_000).toISOString(), endsAt, reason: 'x' } });
  t.match(reversed.body, { error: { message: /after `startsAt`/ } });
});

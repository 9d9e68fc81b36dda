import t from 'tap';
import { apiKey, asAdmin, bearer, testApp, testDb, userSession } from '../http/test-support.js';
import { dutyRoutes } from './routes.js';
import { shift, testDuty } from './test-support.js';

const M = 60_000;
const DAY_MS = 24 * 60 * M;

async function setup(t: Parameters<typeof testDb>[0]) {
  const db = await testDb(t);
  const parts = await testDuty(db);
  const { app, clock, lines } = await testApp(t, { db, areas: [{ prefix: '/duty', plugin: dutyRoutes(parts.duty) }] });
  // Monday 2026-01-05 10:00 in Shanghai.
  clock.advance(Date.UTC(2026, 0, 5, 2, 0) - clock.now());
  const ops = bearer((await userSession(app, { username: 'ops1', role: 'ops' })).token);
  const viewer = bearer((await userSession(app, { username: 'viewer1', role: 'viewer' })).token);
  const district = bearer((await userSession(app, { username: 'district1', role: 'district' })).token);
  return { app, db, clock, lines, ops, viewer, district, duty: parts.duty, feed: parts.feed };
}

const unitBody = {
  id: 'water-bureau', name: '区水利局', tier: 1,
  contacts: [{ name: '张三', role: '分管负责人', phone: '13812345678' }, { name: '欧阳娜娜', role: '联络员', phone: '13987654321' }],
  blocks: ['310117006'], kinds: ['waterlogging', 'water_level'],
};

void t.test('units: CRUD, tier calendars, audit, and contacts masked by role', async (t) => {
  const { app, db, ops, viewer, district, lines } = await setup(t);
  const created = await app.inject({ method: 'POST', url: '/api/v1/duty/units', headers: ops, payload: unitBody });
  t.equal(created.statusCode, 201, created.body);
  t.match(created.json(), { id: 'water-bureau', tier: 1, onDutyNow: true, calendar: { windows: [{ from: '00:00', to: '24:00' }] }, contacts: [{ name: '张三', phone: '13812345678' }] });
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/duty/units', headers: ops, payload: unitBody })).statusCode, 409);

  const office = await app.inject({ method: 'POST', url: '/api/v1/duty/units', headers: ops, payload: { id: 'finance', name: '区财政局', tier: 3 } });
  t.match(office.json(), { calendar: { windows: [{ weekdays: [1, 2, 3, 4, 5], from: '08:30', to: '17:30' }] }, onDutyNow: true });

  for (const [who, headers] of [['viewer', viewer], ['district', district]] as const) {
    const r = await app.inject({ method: 'GET', url: '/api/v1/duty/units/water-bureau', headers });
    t.same(r.json<{ contacts: unknown[] }>().contacts, [{ name: '张*', role: '分管负责人', phone: '138****5678' }, { name: '欧***', role: '联络员', phone: '139****4321' }], `${who} sees masked contacts`);
  }
  t.match((await app.inject({ method: 'GET', url: '/api/v1/duty/units/water-bureau', headers: ops })).json(), { contacts: [{ name: '张三', phone: '13812345678' }] }, 'ops sees them');

  const list = await app.inject({ method: 'GET', url: '/api/v1/duty/units?block=31011700601003012&kind=waterlogging', headers: viewer });
  t.same(list.json<{ units: Array<{ id: string }> }>().units.map((u) => u.id), ['water-bureau', 'finance'], 'most specific block first');

  const put = await app.inject({ method: 'PUT', url: '/api/v1/duty/units/water-bureau', headers: ops, payload: { ...unitBody, id: undefined, tier: 2 } });
  t.equal(put.statusCode, 200, put.body);
  t.match(put.json(), { tier: 2, calendar: { windows: [{ from: '08:30' }] } }, 'a new tier without a calendar gets the tier default');
  const badZone = await app.inject({ method: 'PUT', url: '/api/v1/duty/units/finance', headers: ops, payload: { name: 'x', tier: 3, calendar: { timezone: 'Nowhere/City', windows: [] } } });
  t.match(badZone.json(), { error: { code: 'GW_ERR_VALIDATION', details: [{ field: '/calendar/timezone' }] } });
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/duty/units', headers: viewer, payload: { ...unitBody, id: 'x' } })).statusCode, 403, 'viewers do not write');
  t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/duty/units/finance', headers: ops })).statusCode, 204);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/duty/units/finance', headers: ops })).statusCode, 404);

  const audit = await db.query<{ action: string }>(`SELECT action FROM audit_log WHERE target_type = 'duty_unit' ORDER BY id`);
  t.same(audit.rows.map((r) => r.action), ['duty_unit.create', 'duty_unit.create', 'duty_unit.update', 'duty_unit.delete']);
  t.notOk(lines.some((l) => l.includes('13812345678') || l.includes('张三')), 'no phone or name in the log');
});

void t.test('roster: two duty officers required; on-duty lookup masked by role', async (t) => {
  const { app, clock, ops, viewer } = await setup(t);
  const now = clock.now();
  const one = shift(now - 60 * M, now + 8 * 60 * M);
  one.people.duty_officer = one.people.duty_officer.slice(0, 1);
  const refused = await app.inject({ method: 'POST', url: '/api/v1/duty/shifts', headers: ops, payload: one });
  t.equal(refused.statusCode, 400);
  t.match(refused.json(), { error: { code: 'GW_ERR_VALIDATION', message: /two different duty officers on post/, details: [{ field: '/people/duty_officer' }] } });

  const created = await app.inject({ method: 'POST', url: '/api/v1/duty/shifts', headers: ops, payload: shift(now - 60 * M, now + 8 * 60 * M, { blocks: ['310117006'] }) });
  t.equal(created.statusCode, 201, created.body);
  const id = created.json<{ id: string }>().id;
  await app.inject({ method: 'POST', url: '/api/v1/duty/units', headers: ops, payload: unitBody });

  const seen = await app.inject({ method: 'GET', url: '/api/v1/duty/on-duty?block=31011700601003012&kind=waterlogging', headers: viewer });
  t.equal(seen.statusCode, 200, seen.body);
  t.match(seen.json(), {
    matchedPrefix: '310117006',
    shift: { id, people: { duty_officer: [{ id: 'officer-a', name: '张*', phone: '138****5678' }, { name: '李*' }], leader_on_duty: [{ name: '王*' }] } },
    units: [{ id: 'water-bureau', onDutyAt: true, contacts: [{ phone: '138****5678' }] }],
  });
  t.match((await app.inject({ method: 'GET', url: '/api/v1/duty/on-duty?block=31011700601003012', headers: ops })).json(), { shift: { people: { duty_officer: [{ name: '张三', phone: '13812345678' }] } } });
  const nobody = await app.inject({ method: 'GET', url: `/api/v1/duty/on-duty?block=32000000000000001&at=${encodeURIComponent(new Date(now).toISOString())}`, headers: viewer });
  t.match(nobody.json(), { shift: null, matchedPrefix: null, units: [] });

  t.match((await app.inject({ method: 'GET', url: `/api/v1/duty/shifts/${id}`, headers: viewer })).json(), { people: { head: [{ name: '赵*' }] } });
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/duty/shifts', headers: viewer })).json<{ shifts: unknown[] }>().shifts.length, 1);
  const moved = await app.inject({ method: 'PUT', url: `/api/v1/duty/shifts/${id}`, headers: ops, payload: shift(now, now + 60 * M) });
  t.match(moved.json(), { id, blocks: [] });
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/duty/shifts/${id}`, headers: ops })).statusCode, 204);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/duty/shifts/abc', headers: ops })).statusCode, 404);
});

void t.test('call plans: built-in defaults, edits and reset', async (t) => {
  const { app, ops, viewer } = await setup(t);
  const plans = (await app.inject({ method: 'GET', url: '/api/v1/duty/call-plans', headers: viewer })).json<{ plans: Array<{ category: string; source: string; steps: Array<{ role: string }> }> }>().plans;
  t.same(plans.map((p) => p.category), ['default', 'rainstorm', 'gale', 'flash_flood', 'geological', 'fire', 'gas', 'structure', 'equipment', 'other']);
  t.same(plans.find((p) => p.category === 'rainstorm')?.steps.map((s) => s.role), ['duty_officer', 'leader_on_duty', 'head']);
  t.same(plans.find((p) => p.category === 'equipment')?.steps.map((s) => s.role), ['duty_officer', 'leader_on_duty']);

  const body = { description: 'Faster for flash floods', steps: [{ role: 'duty_officer', channels: ['phone-gateway'], deadline: '3m' }, { role: 'head', channels: ['phone-gateway', 'sms-gateway'] }] };
  const put = await app.inject({ method: 'PUT', url: '/api/v1/duty/call-plans/flash_flood', headers: ops, payload: body });
  t.equal(put.statusCode, 200, put.body);
  t.match((await app.inject({ method: 'GET', url: '/api/v1/duty/call-plans/flash_flood', headers: viewer })).json(), { ...body, source: 'custom' });
  t.equal((await app.inject({ method: 'PUT', url: '/api/v1/duty/call-plans/volcano', headers: ops, payload: body })).statusCode, 404);
  t.equal((await app.inject({ method: 'PUT', url: '/api/v1/duty/call-plans/gale', headers: ops, payload: { steps: [{ role: 'mayor', channels: ['x'] }] } })).statusCode, 400);
  t.match((await app.inject({ method: 'DELETE', url: '/api/v1/duty/call-plans/flash_flood', headers: ops })).json(), { source: 'builtin', steps: [{}, {}, {}] });

  // `structure` has no built-in plan of its own: it follows the default, edited or not.
  await app.inject({ method: 'PUT', url: '/api/v1/duty/call-plans/default', headers: ops, payload: body });
  t.match((await app.inject({ method: 'GET', url: '/api/v1/duty/call-plans/structure', headers: ops })).json(), { category: 'structure', source: 'custom', steps: [{ deadline: '3m' }, {}] });
});

void t.test('callouts: status and log masked by role; the acknowledge callback', async (t) => {
  const { app, db, clock, ops, viewer, duty, feed } = await setup(t);
  const now = clock.now();
  await app.inject({ method: 'POST', url: '/api/v1/duty/shifts', headers: ops, payload: shift(now - 60 * M, now + 8 * 60 * M) });
  await feed.transaction((tx, emit) => duty.startCallout(tx, {
    warningId: '42', fingerprint: 'f', grade: 'red', kind: 'gas', blockCode: '31011700601003012', category: 'gas',
    deadlineMs: 5 * M, remindEveryMs: M, chain: [], exercise: false, summary: 'Red gas warning at 幸福小区',
  }, now, emit));

  t.match((await app.inject({ method: 'GET', url: '/api/v1/duty/callouts/42', headers: viewer })).json(), { state: 'calling', role: 'duty_officer', person: { id: 'officer-a', name: '张*', phone: '138****5678' } });
  t.match((await app.inject({ method: 'GET', url: '/api/v1/duty/callouts/42', headers: ops })).json(), { person: { name: '张三', phone: '13812345678' } });
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/duty/callouts/43', headers: ops })).statusCode, 404);

  const gateway = await apiKey(app, { name: 'phone gateway', role: 'platform', platform: 'phone-gateway' });
  const key = { 'x-api-key': gateway.key };
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/duty/callouts/42/acknowledge', headers: viewer, payload: {} })).statusCode, 403, 'viewers cannot acknowledge');
  const ack = await app.inject({ method: 'POST', url: '/api/v1/duty/callouts/42/acknowledge', headers: key, payload: { personId: 'officer-a', note: 'pressed 1' } });
  t.equal(ack.statusCode, 200, ack.body);
  t.match(ack.json(), { acknowledged: true, status: { state: 'acknowledged', acknowledgedBy: 'phone gateway', acknowledgedPerson: 'officer-a' } });
  t.match((await app.inject({ method: 'POST', url: '/api/v1/duty/callouts/42/acknowledge', headers: key, payload: {} })).json(), { acknowledged: false, status: { state: 'acknowledged' } }, 'a retried callback is harmless');
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/duty/callouts/43/acknowledge', headers: asAdmin, payload: {} })).statusCode, 404);

  const viewerLog = (await app.inject({ method: 'GET', url: '/api/v1/duty/callouts/42/log', headers: viewer })).json<{ entries: Array<{ type: string; personName: string | null }> }>().entries;
  t.same(viewerLog.map((e) => [e.type, e.personName]), [['call', '张*'], ['acknowledged', '张*']]);
  t.match((await app.inject({ method: 'GET', url: '/api/v1/duty/callouts/42/log', headers: ops })).json(), { entries: [{ personName: '张三' }, { detail: 'acknowledged by phone gateway: pressed 1' }] });
  t.same(await feed.types('42'), ['callout.call', 'callout.acknowledged']);
  const events = await db.query<{ event: unknown }>('SELECT event FROM test_events');
  t.notOk(JSON.stringify(events.rows).includes('13812345678') || JSON.stringify(events.rows).includes('张三'), 'events carry person ids, not names or phones');
});

void t.test('bad input: dashed block codes are read as digits; unknown kinds, unconfigured channels and reversed ranges are refused', async (t) => {
  const { app, clock, ops } = await setup(t);
  const now = clock.now();
  const unit = await app.inject({ method: 'POST', url: '/api/v1/duty/units', headers: ops, payload: { ...unitBody, blocks: ['310117006-02'] } });
  t.equal(unit.statusCode, 201, unit.body);
  t.same(unit.json<{ blocks: string[] }>().blocks, ['31011700602'], 'stored as digits');
  const created = await app.inject({ method: 'POST', url: '/api/v1/duty/shifts', headers: ops, payload: shift(now - M, now + 60 * M, { blocks: ['310117006-02'] }) });
  t.same(created.json<{ blocks: string[] }>().blocks, ['31011700602']);
  const onDuty = await app.inject({ method: 'GET', url: '/api/v1/duty/on-duty?block=310117006-02-006-001&kind=waterlogging', headers: ops });
  t.equal(onDuty.statusCode, 200, onDuty.body);
  t.match(onDuty.json(), { matchedPrefix: '31011700602', units: [{ id: 'water-bureau' }] }, 'a block code copied from a device, dashes and all, finds its shift');
  t.same((await app.inject({ method: 'GET', url: '/api/v1/duty/units?block=310117006-02-006', headers: ops })).json<{ units: Array<{ id: string }> }>().units.map((u) => u.id), ['water-bureau']);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/duty/on-duty?block=310117006--02', headers: ops })).statusCode, 400, 'but not any run of dashes');

  const typo = await app.inject({ method: 'POST', url: '/api/v1/duty/units', headers: ops, payload: { ...unitBody, id: 'typo', kinds: ['waterloging'] } });
  t.equal(typo.statusCode, 400);
  t.match(typo.json(), { error: { code: 'GW_ERR_VALIDATION', details: [{ field: '/kinds/0' }] } }, 'a misspelt kind would never match');

  const plan = await app.inject({
    method: 'PUT', url: '/api/v1/duty/call-plans/gale', headers: ops,
    payload: { steps: [{ role: 'duty_officer', channels: ['phone-gateway', 'phone-gatway'] }, { role: 'head', channels: ['dingtalk'] }] },
  });
  t.equal(plan.statusCode, 400, plan.body);
  t.match(plan.json(), {
    error: {
      code: 'GW_ERR_VALIDATION',
      message: /steps\/0\/channels\/1: no notifier "phone-gatway".*\(and 1 more\)/,
      details: [{ field: '/steps/0/channels/1', message: /phone-gatway/ }, { field: '/steps/1/channels/0', message: /dingtalk/ }],
    },
  }, 'every unconfigured channel is named');
  t.match((await app.inject({ method: 'GET', url: '/api/v1/duty/call-plans/gale', headers: ops })).json(), { source: 'builtin' }, 'nothing was changed');

  const from = new Date(now + DAY_MS).toISOString();
  const to = new Date(now).toISOString();
  const reversed = await app.inject({ method: 'GET', url: `/api/v1/duty/shifts?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, headers: ops });
  t.equal(reversed.statusCode, 400);
  t.match(reversed.json(), { error: { details: [{ field: '/from' }] } });
});

import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { bearer, testApp, userSession } from '../http/test-support.js';
import type { Queryable } from '../storage/db.js';
import { addUnit, BLOCK, slaHarness, type SlaHarness } from '../sla/test-support.js';
import { reportRoutes } from './routes.js';
import type { LinkageReport, PeriodReport, UnitLinkage } from './schema.js';

t.teardown(stopSharedPostgres);

const sh = (local: string) => Date.parse(`${local}:00+08:00`);
const MIN = 60_000;
const fire = { id: 'fire', tier: 1 } as const;

async function steps(h: SlaHarness, id: string, list: Array<['signed' | 'arrived' | 'returned', string]>): Promise<void> {
  for (const [to, at] of list) {
    h.at(sh(at));
    await h.step(id, to, sh(at));
  }
}

async function device(q: Queryable, id: string, createdAt: string, events: Array<[string, 'online' | 'offline']>, readings: string[]): Promise<void> {
  await q.query(
    `INSERT INTO devices (id, name, kind, adapter, lon, lat, input_lon, input_lat, input_crs, block_code, password_hash, credentials_rotated_at, created_at, updated_at)
     VALUES ($1, $1, 'waterlogging', 'generic-json', 121.2, 31.0, 121.2, 31.0, 'wgs84', '31011700600100301', 'x', $2, $2, $2)`,
    [id, `${createdAt}:00+08:00`],
  );
  for (const [at, status] of events) await q.query('INSERT INTO device_status_events (device_id, status, reason, at) VALUES ($1, $2, $3, $4)', [id, status, 'test', `${at}:00+08:00`]);
  for (const at of readings) await q.query(`INSERT INTO readings (time, device_id, metric, value) VALUES ($1, $2, 'depth_cm', 3)`, [`${at}+08:00`, id]);
}

/**
 * November 2026 in a town: the fire brigade (tier 1) dispatched four times — on time; signed
 * late; never signed nor arrived; returned — so 3 misses; the finance bureau (tier 3) on a Friday
 * evening, signing on Monday morning within its office minutes; an unregistered tier-2 unit a
 * minute before the month ends (and once more at midnight, which is December); an exercise.
 */
async function november(t: Parameters<typeof slaHarness>[0]) {
  const h = await slaHarness(t);
  await addUnit(h.db, 'fire', 1);
  await addUnit(h.db, 'finance', 3);
  await addUnit(h.db, 'idle', 2);
  await h.db.query(`UPDATE duty_units SET name = '区消防救援大队 <b>' WHERE id = 'fire'`);

  const d1 = (await h.dispatched(fire, sh('2026-11-02T10:00'))).id;
  await steps(h, d1, [['signed', '2026-11-02T10:05'], ['arrived', '2026-11-02T10:15']]);
  const d2 = (await h.dispatched(fire, sh('2026-11-03T10:00'))).id;
  await steps(h, d2, [['signed', '2026-11-03T10:15'], ['arrived', '2026-11-03T10:19']]);
  await h.dispatched(fire, sh('2026-11-04T10:00'));
  const d4 = (await h.dispatched(fire, sh('2026-11-05T10:00'))).id;
  await steps(h, d4, [['returned', '2026-11-05T10:05']]);
  await h.dispatched(fire, sh('2026-11-06T10:00'), { exercise: true });
  const f = (await h.dispatched({ id: 'finance', tier: 3 }, sh('2026-11-27T19:00'))).id;
  await steps(h, f, [['signed', '2026-11-30T08:35'], ['arrived', '2026-11-30T08:55']]);
  await h.dispatched({ id: 'telecom', tier: 2 }, sh('2026-11-30T23:59'));
  await h.dispatched({ id: 'telecom', tier: 2 }, sh('2026-12-01T00:00'));

  await device(h.db, 'wl-a', '2026-10-01T00:00', [['2026-10-01T00:00', 'online'], ['2026-11-16T00:00', 'offline']],
    ['2026-10-31T23:59:59', '2026-11-01T00:00:00', '2026-11-01T00:30:00', '2026-11-10T12:00:00', '2026-11-30T23:30:00', '2026-12-01T00:00:00']);
  await device(h.db, 'wl-b', '2026-11-16T00:00', [], ['2026-11-20T08:00:00']);

  h.at(sh('2026-12-02T12:00'));
  await h.sla.tick(h.clock.now());
  const { app, clock } = await testApp(t, { db: h.db, areas: [{ prefix: '/reports', plugin: reportRoutes() }] });
  clock.advance(sh('2026-12-02T12:00') - clock.now());
  const viewer = bearer((await userSession(app, { username: 'viewer1', role: 'viewer' })).token);
  return { h, app, viewer };
}

const steps0 = { onTime: 0, late: 0, never: 0, cancelled: 0, open: 0 };

void t.test('reports over one November: linkage arithmetic, period boundaries, summaries, HTML', async (t) => {
  const { app, viewer } = await november(t);

  const r = await app.inject({ url: '/api/v1/reports/linkage?month=2026-11', headers: viewer });
  t.equal(r.statusCode, 200, r.body);
  const linkage = r.json<LinkageReport>();
  t.same(linkage.period, { kind: 'month', label: '2026-11', from: '2026-11-01T00:00:00.000+08:00', to: '2026-12-01T00:00:00.000+08:00', complete: true });
  const unit = (id: string) => linkage.units.find((u: UnitLinkage) => u.unit.id === id);
  t.same(unit('fire'), {
    unit: { id: 'fire', name: '区消防救援大队 <b>', tier: 1 }, dispatches: 4,
    signed: { onTime: 1, late: 1, never: 1, cancelled: 1, open: 0 }, arrived: { onTime: 2, late: 0, never: 1, cancelled: 1, open: 0 },
    misses: 3, pointsDeducted: 1.5, score: -1.5,
  }, '3 misses → 1.5 points; the exercise is not scored');
  t.same(unit('finance'), {
    unit: { id: 'finance', name: '单位 finance', tier: 3 }, dispatches: 1, signed: { ...steps0, onTime: 1 }, arrived: { ...steps0, onTime: 1 }, misses: 0, pointsDeducted: 0, score: 0,
  }, 'Friday 19:00 → Monday 08:35 is 5 office minutes: on time');
  t.same(unit('telecom'), {
    unit: { id: 'telecom', name: null, tier: 2 }, dispatches: 1, signed: { ...steps0, never: 1 }, arrived: { ...steps0, never: 1 }, misses: 2, pointsDeducted: 1, score: -1,
  }, 'dispatched at 23:59 on 30 November: November; the one at midnight is December');
  t.same(unit('idle'), { unit: { id: 'idle', name: '单位 idle', tier: 2 }, dispatches: 0, signed: steps0, arrived: steps0, misses: 0, pointsDeducted: 0, score: 0 });
  t.same(linkage.units.map((u) => u.unit.id), ['fire', 'idle', 'telecom', 'finance'], 'by tier, then id');
  t.same(linkage.totals, {
    dispatches: 6, signed: { onTime: 2, late: 1, never: 2, cancelled: 1, open: 0 }, arrived: { onTime: 3, late: 0, never: 2, cancelled: 1, open: 0 },
    misses: 5, pointsDeducted: 2.5, score: -2.5,
  });
  t.equal(linkage.pointsPerMiss, 0.5);

  const byDefault = await app.inject({ url: '/api/v1/reports/linkage', headers: viewer });
  t.same(byDefault.json<LinkageReport>().totals, linkage.totals, 'default: the last complete month');

  const december = await app.inject({ url: '/api/v1/reports/linkage?month=2026-12', headers: viewer });
  t.match(december.json<LinkageReport>(), { period: { complete: false }, totals: { dispatches: 1, misses: 2 } }, 'December so far: the midnight dispatch, missed on 1 December');

  const html = await app.inject({ url: '/api/v1/reports/linkage?month=2026-11&format=html', headers: viewer });
  t.equal(html.statusCode, 200);
  t.match(html.headers['content-type'], /^text\/html; charset=utf-8/);
  t.match(html.body, /^<!DOCTYPE html>/);
  t.match(html.body, /社会应急联动考核月报 2026年11月/);
  t.match(html.body, /区消防救援大队 &#60;b&#62;/, 'names are escaped');
  t.notMatch(html.body, /大队 <b>/);
  t.match(html.body, /<th>合计 \(total\)<\/th><th><\/th><th class="n">6<\/th>/);
  t.match(html.body, /<td class="n">1\.5<\/td><td class="n">-1\.5<\/td>/);

  const monthly = await app.inject({ url: '/api/v1/reports/monthly?month=2026-11', headers: viewer });
  t.equal(monthly.statusCode, 200, monthly.body);
  const m = monthly.json<PeriodReport>();
  t.same(m.cases, {
    total: 6, exercises: 1, bySource: { manual: 6 }, byStatus: { arrived: 3, dispatched: 2, returned: 1 }, byCategory: { rainstorm: 6 },
    medianMs: { report: 0, sign: 15 * MIN, arrive: 19 * MIN, close: null },
  });
  t.same(m.sla, {
    first_report: { met: 6, late: 0, missed: 0, stopped: 0, open: 0, paused: 0 },
    written_report: { met: 6, late: 0, missed: 0, stopped: 0, open: 0, paused: 0 },
    sign: { met: 2, late: 1, missed: 2, stopped: 1, open: 0, paused: 0 },
    arrive: { met: 3, late: 0, missed: 2, stopped: 1, open: 0, paused: 0 },
  });
  t.same(m.warnings, {
    total: 2, exercises: 2, byGrade: { yellow: 2 }, byKind: { none: 2 }, byBlock: { [BLOCK]: 2 }, byCategory: { rainstorm: 2 },
    acknowledgement: { required: 0, inTime: 0, late: 0, never: 0 },
  }, 'the never-signed fire dispatch: sign and arrive breaches in November; telecom\'s fall due in December');
  t.same(m.linkage.totals, linkage.totals, 'the linkage scores of the month');
  t.same(m.devices.byKind['waterlogging'], {
    devices: 2, onlineShare: 0.3333, expectedReports: 720 + 360, receivedReports: 3 + 1, reportShare: 0.0037,
  }, 'online 15 of 45 device-days; readings counted by local hour from 00:00 on the 1st to 24:00 on the 30th');
  t.same(m.devices.total, m.devices.byKind['waterlogging']);

  const weekly = await app.inject({ url: '/api/v1/reports/weekly?week=2026-W48', headers: viewer });
  t.match(weekly.json<PeriodReport>(), { period: { label: '2026-W48', from: '2026-11-23T00:00:00.000+08:00' }, linkage: { totals: { dispatches: 1 } }, cases: { total: 1 } }, 'the finance dispatch only');
  t.match((await app.inject({ url: '/api/v1/reports/weekly', headers: viewer })).json(), { period: { label: '2026-W48' } }, 'default: the last complete week');
  const yearly = await app.inject({ url: '/api/v1/reports/yearly?year=2026', headers: viewer });
  t.match(yearly.json<PeriodReport>(), { period: { complete: false }, linkage: { totals: { dispatches: 7 } }, cases: { total: 7 } });

  const page = await app.inject({ url: '/api/v1/reports/monthly?month=2026-11&format=html', headers: viewer });
  t.match(page.headers['content-type'], /text\/html/);
  for (const part of ['城运中心月报 2026年11月', '一、预警', '黄色 (yellow)', '二、案件', '15.0', '三、时限', '四、联动考核', '五、设备在线', '33.3%']) t.match(page.body, part, part);
});

void t.test('reports: roles and bad periods', async (t) => {
  const { app, viewer } = await november(t);
  const vendor = bearer((await userSession(app, { username: 'vendor1', role: 'vendor', vendor: 'acme' })).token);
  const district = bearer((await userSession(app, { username: 'district1', role: 'district' })).token);
  t.equal((await app.inject({ url: '/api/v1/reports/monthly', headers: vendor })).statusCode, 403);
  t.equal((await app.inject({ url: '/api/v1/reports/linkage', headers: district })).statusCode, 200);
  t.equal((await app.inject({ url: '/api/v1/reports/linkage' })).statusCode, 401);
  const bad = await app.inject({ url: '/api/v1/reports/linkage?month=2026-13', headers: viewer });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { error: { code: 'GW_ERR_VALIDATION', message: /2026-13/ } });
  t.equal((await app.inject({ url: '/api/v1/reports/weekly?week=2027-W53', headers: viewer })).statusCode, 400);
  t.equal((await app.inject({ url: '/api/v1/reports/yearly?year=twenty', headers: viewer })).statusCode, 400);
  t.equal((await app.inject({ url: '/api/v1/reports/monthly?format=pdf', headers: viewer })).statusCode, 400);

  const doc = (await app.inject({ url: '/docs/json' })).json<{ paths: Record<string, { get?: { responses?: Record<string, { content?: Record<string, unknown> }> } }> }>();
  for (const path of ['linkage', 'weekly', 'monthly', 'yearly']) {
    t.same(Object.keys(doc.paths[`/api/v1/reports/${path}`]?.get?.responses?.['200']?.content ?? {}), ['application/json', 'text/html'], `${path}: JSON and HTML documented`);
  }
});

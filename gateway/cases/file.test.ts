import t from 'tap';
import { pino } from 'pino';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { asAdmin, testAdminToken, testApp } from '../http/test-support.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { createOutbox } from '../outbox/outbox.js';
import { outboxConfig, waitFor } from '../outbox/test-support.js';
import type { Channel } from '../outbox/types.js';
import { transition, T0 } from '../warnings/test-support.js';
import { caseRoutes } from './routes.js';
import { warningCaseHarness } from './test-support.js';
import { escapeHtml } from './file-html.js';

t.teardown(stopSharedPostgres);

void t.test('one event, one file: every section, as JSON and as a printable page', async (t) => {
  const { w, h } = await warningCaseHarness(t);
  const { app, clock } = await testApp(t, {
    db: h.db, config: h.config,
    areas: [{ prefix: '/cases', plugin: caseRoutes(h.cases, { authenticate: (headers) => authenticate(headers) }) }],
  });
  const authenticate = createAuthenticator({ db: h.db, clock, logger: pino({ level: 'silent' }), adminToken: testAdminToken });
  clock.advance(T0 - clock.now());
  const advance = (ms: number) => {
    w.clock.advance(ms);
    clock.advance(ms);
  };

  // Readings around the incident: one 40 minutes before (outside the window), then every 5 minutes.
  for (let m = -40; m <= 10; m += 5) {
    await h.db.query(`INSERT INTO readings (time, device_id, metric, value) VALUES ($1, 'wl-1', 'depth_cm', $2)`, [new Date(T0 + m * 60_000), 30 + m]);
  }
  await w.apply([transition('wl-1', 0, 4, T0)]);
  const [c] = (await h.cases.list({})).cases;
  if (!c) throw new Error('no case');

  // The district link: a case message that fails once, then goes.
  const outbox = createOutbox({ db: h.db, clock: w.clock, logger: pino({ level: 'silent' }), config: outboxConfig() });
  let calls = 0;
  const district: Channel = { name: 'district', type: 'district', deliver: async () => (++calls === 1 ? { ok: false, retryable: true, error: 'HTTP 503 from primary' } : { ok: true, receipt: { districtCaseNo: 'QX-9' } }) };
  outbox.register(district);
  t.teardown(() => outbox.stop());
  await h.db.transaction((tx) => outbox.enqueue(tx, { channel: 'district', key: `case:${c.id}:opened`, payload: { kind: 'case', caseId: c.id }, orderKey: `case:${c.id}`, subject: { type: 'case', id: c.id } }));
  outbox.start();
  outbox.poke();
  await waitFor('first attempt', async () => (await h.db.query('SELECT 1 FROM outbox_attempts')).rows.length === 1);
  advance(120_000);
  outbox.poke();
  await waitFor('delivery', async () => (await h.db.query(`SELECT 1 FROM outbox WHERE channel = 'district' AND state = 'delivered'`)).rows.length === 1);
  await h.cases.markReported(c.id, w.clock.now(), 'QX-9');

  advance(60_000);
  await h.cases.transition({ caseId: c.id, to: 'dispatched', actor: { type: 'district', id: 'district' }, unit: { id: 'drain-team', tier: 1 }, note: '派遣排水队' });
  advance(60_000);
  const ops = await app.inject({ method: 'POST', url: `/api/v1/cases/${c.id}/transitions`, headers: asAdmin, payload: { to: 'suspended', note: '<b>等待</b>' } });
  t.equal(ops.statusCode, 200, ops.body);
  await h.cases.transition({ caseId: c.id, to: 'resumed', actor: { type: 'user', id: 'bootstrap' } });
  advance(60_000);
  await h.cases.transition({ caseId: c.id, to: 'signed', actor: { type: 'district', id: 'district' } });
  await h.db.query(
    `INSERT INTO case_sla (case_id, clock, seq, unit_id, unit_tier, started_at_ms, deadline_ms, met_at_ms) VALUES ($1, 'first_report', 0, NULL, NULL, $2, $3, $4), ($1, 'sign', 1, 'drain-team', 1, $5, $6, $7)`,
    [c.id, T0, T0 + 30 * 60_000, T0 + 120_000, T0 + 180_000, T0 + 780_000, w.clock.now()],
  );
  const draft = (await app.inject({ method: 'GET', url: `/api/v1/cases/${c.id}/written-report`, headers: asAdmin })).json<{ report: Record<string, unknown> }>();
  await app.inject({ method: 'PUT', url: `/api/v1/cases/${c.id}/written-report`, headers: asAdmin, payload: { report: { ...draft.report, what: '<script>alert(1)</script> 积水' } } });
  await app.inject({ method: 'POST', url: `/api/v1/cases/${c.id}/written-report/confirm`, headers: asAdmin, payload: {} });

  const r = await app.inject({ method: 'GET', url: `/api/v1/cases/${c.id}/file`, headers: asAdmin });
  t.equal(r.statusCode, 200, r.body.slice(0, 500));
  const file = r.json();
  t.same(Object.keys(file).sort(), ['actorNames', 'audit', 'callouts', 'case', 'deliveries', 'districtFeedback', 'events', 'generatedAt', 'pictures', 'readings', 'sla', 'source', 'transitions', 'unit', 'warning', 'warningTimeline', 'writtenReport'].sort());
  t.match(file.case, { id: c.id, status: 'signed', districtCaseNo: 'QX-9', unit: { id: 'drain-team', tier: 1 } });
  t.match(file.source, { type: 'warning', name: 'waterlogging', label: `预警 ${c.warningId}（规则 waterlogging）` });
  t.match(file.unit, { id: 'drain-team', name: null, tier: 1 });
  t.same(file.transitions.map((x: { step: string }) => x.step), ['opened', 'reported', 'dispatched', 'suspended', 'resumed', 'signed']);
  t.equal(file.actorNames['user:bootstrap'], 'bootstrap admin');
  t.match(file.actorNames, { 'district:district': '区级平台', 'system:system': '系统' });
  t.match(file.warning, { id: c.warningId, grade: 'red', deviceId: 'wl-1' });
  t.ok(file.warningTimeline.some((e: { type: string }) => e.type === 'raised') && file.warningTimeline.some((e: { type: string }) => e.type === 'case_requested'), 'the warning timeline');
  t.ok(file.callouts.length > 0, 'the 叫应 call log of a red warning');
  t.match(file.readings, { deviceId: 'wl-1', bucket: null, truncated: false, from: '2026-06-01T09:30:00.000+08:00' });
  t.same(file.readings.rows.map((x: { value: number }) => x.value), [0, 5, 10, 15, 20, 25, 30, 35], 'from 30 minutes before the incident to now');
  t.match(file.pictures, { items: [], note: /issue 6/ });
  t.match(file.sla, [{ clock: 'first_report', metAt: '2026-06-01T10:02:00.000+08:00' }, { clock: 'sign', unit: { id: 'drain-team' }, seq: 1 }]);
  t.ok(file.deliveries.deliveries.some((d: { about: string }) => d.about === 'warning'), 'the warning\'s notifications');
  const dd = file.deliveries.deliveries.find((d: { channel: string }) => d.channel === 'district');
  t.match(dd, { about: 'case', state: 'delivered', attemptLog: [{ ok: false, error: 'HTTP 503 from primary' }, { ok: true }] });
  t.match(file.deliveries.summary, { byChannel: { district: 1 } });
  t.same(file.districtFeedback.map((x: { step: string }) => x.step), ['reported', 'dispatched', 'signed']);
  t.match(file.writtenReport, { confirmedVersion: 1, versions: [{ version: 1, report: { what: /<script>/ }, confirmedBy: { name: 'bootstrap admin' } }] });
  t.same(file.audit.map((a: { action: string }) => a.action), ['case.transition', 'case.report_edit', 'case.report_confirm']);
  t.same(file.events.map((e: { type: string }) => e.type), ['case.opened', 'case.status', 'case.status', 'case.status', 'case.status', 'case.status', 'case.report_confirmed']);

  const html = await app.inject({ method: 'GET', url: `/api/v1/cases/${c.id}/file?format=html`, headers: asAdmin });
  t.equal(html.statusCode, 200);
  t.match(html.headers['content-type'], /^text\/html; charset=utf-8/);
  const page = html.body;
  t.match(page, /^<!DOCTYPE html>\n<html lang="zh-CN">/, 'the page itself, not a JSON string');
  for (const heading of ['一、案件信息', '二、流转记录', '三、关联预警', '预警时间线', '叫应记录', '四、监测数据', '五、现场图片', '六、时限', '七、推送记录', '八、区级反馈', '九、书面报告', '十、审计记录', '十一、事件']) {
    t.ok(page.includes(heading), `section ${heading}`);
  }
  t.notOk(page.includes('<script>'), 'no markup from the record reaches the page');
  t.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt; 积水'), 'it is escaped');
  t.ok(page.includes('&lt;b&gt;等待&lt;/b&gt;'), 'notes escaped');
  t.ok(page.includes('2026-06-01 10:00:00'), 'times in China Standard Time');
  t.ok(page.includes('QX-9') && page.includes('drain-team') && page.includes('HTTP 503 from primary'), 'district number, unit, attempts');
  const byAccept = await app.inject({ method: 'GET', url: `/api/v1/cases/${c.id}/file`, headers: { ...asAdmin, accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' } });
  t.match(byAccept.headers['content-type'], /^text\/html/, 'a browser gets the page');
  const deliveries = await app.inject({ method: 'GET', url: `/api/v1/cases/${c.id}/deliveries`, headers: asAdmin });
  t.match(deliveries.json(), { summary: { byState: { delivered: 1 } } });
  advance(13 * 3600_000);
  const later = await h.cases.file(c.id);
  t.match(later?.readings, { bucket: '1h', rows: [{ time: /^2026-06-01T01:00:00/, metric: 'depth_cm', min: -10, max: 25, count: 8 }, { time: /^2026-06-01T02:00:00/, min: 30, max: 40 }] }, 'a long window in hourly buckets (whole buckets)');
  t.ok((await app.inject({ method: 'GET', url: `/api/v1/cases/${c.id}/file?format=html`, headers: asAdmin })).body.includes('按小时汇总'));
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/cases/999/file', headers: asAdmin })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/cases/999/deliveries', headers: asAdmin })).statusCode, 404);
});

void t.test('a case without a warning: empty sections, each with its note', async (t) => {
  const { h } = await warningCaseHarness(t);
  const c = await h.open({ title: 'A & B <i>' });
  const file = await h.cases.file(c.id);
  t.match(file, { warning: null, warningTimeline: [], callouts: [], readings: { deviceId: null, rows: [], note: /no warning device/ }, sla: [], deliveries: { deliveries: [], summary: { total: 0 } }, districtFeedback: [], writtenReport: { versions: [], confirmedVersion: null }, audit: [] });
  t.equal(escapeHtml('A & B <i> "q" \'s\''), 'A &amp; B &lt;i&gt; &quot;q&quot; &#39;s&#39;');
});

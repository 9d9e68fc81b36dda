import t from 'tap';
import { Value } from 'typebox/value';
import { pino } from 'pino';
import { createEventRelay } from '../events/relay.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { BLOCK, T0, transition, waterlogging } from '../warnings/test-support.js';
import type { DirectWarningInput } from '../warnings/direct.js';
import { createSilence } from '../warnings/silences.js';
import { caseView, forwarderHarness } from './forwarder-test-support.js';
import { CaseMessage, CaseReportMessage, WarningMessage } from './messages.js';

t.teardown(stopSharedPostgres);

const tag = (xml: unknown, name: string): string | undefined => (typeof xml === 'string' ? new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] : undefined);
const dayMs = 24 * 3600 * 1000;

void t.test('CAP: Alert on raise, Update referencing it on a grade change, Cancel referencing both on clear', async (t) => {
  const h = await forwarderHarness(t, { district: { maxAgeMs: 3 * dayMs } });
  await h.apply([transition('wl-1', 0, 3, T0)]);
  await h.apply([transition('wl-1', 3, 4, T0 + 60_000)]);
  await h.apply([transition('wl-1', 4, 0, T0 + 600_000)]);
  await h.db.query(`INSERT INTO rule_versions (rule_id, version, body, hash, author, reason, created_at_ms) VALUES ('waterlogging', 3, $1, 'h', 'ops', 'test', $2)`, [JSON.stringify(waterlogging.rule), T0]);
  await h.forward();
  const rows = await h.district();
  t.equal(rows.length, 3, 'three messages');
  const events = await h.events(['warning.raised', 'warning.updated', 'warning.cleared']);
  const warningId = (events[0]?.subject.id) ?? '';
  t.same(rows.map((r) => r.key), events.map((e) => `warning:${warningId}:${e.id}`), 'keys warning:{warningId}:{eventId}');
  for (const r of rows) {
    t.equal(r.orderKey, `warning:${warningId}`, 'one order key per warning');
    t.same(r.subject, { type: 'warning', id: warningId });
    t.equal(r.maxAgeMs, 3 * dayMs, 'district.maxAgeMs');
    t.match(r.payload, { kind: 'warning', path: '/warnings', contentType: 'application/cap+xml' });
  }
  const [alert, update, cancel] = rows.map((r) => r.payload.body);
  t.same([tag(alert, 'msgType'), tag(update, 'msgType'), tag(cancel, 'msgType')], ['Alert', 'Update', 'Cancel']);
  t.same([tag(alert, 'severity'), tag(update, 'severity'), tag(cancel, 'severity')], ['Severe', 'Extreme', 'Extreme']);
  t.equal(tag(alert, 'status'), 'Actual');
  t.equal(tag(alert, 'sender'), 'cityops@town.example');
  t.equal(tag(alert, 'identifier'), `31011741600_20260601100000_${events[0]?.id}`, 'area code from the block, agency code, Beijing time, the event id');
  t.equal(tag(alert, 'references'), undefined);
  const first = `cityops@town.example,${tag(alert, 'identifier')},${tag(alert, 'sent')}`;
  const second = `cityops@town.example,${tag(update, 'identifier')},${tag(update, 'sent')}`;
  t.equal(tag(update, 'references'), first);
  t.equal(tag(cancel, 'references'), `${first} ${second}`, 'the Cancel references every earlier message, oldest first');
  t.equal(tag(alert, 'event'), '道路积水', 'the name of the rule version that raised it');
  t.equal(tag(alert, 'headline'), '橙色预警：道路积水');

  await h.forward();
  t.equal((await h.district()).length, 3, 'nothing new on a second pass');
});

void t.test('the same events handled twice queue nothing twice', async (t) => {
  const h = await forwarderHarness(t);
  await h.apply([transition('wl-1', 0, 2, T0)]);
  const events = await h.feed.list({ limit: 100 });
  await h.db.transaction((tx) => h.forwarder.handle(tx, events));
  await h.db.transaction((tx) => h.forwarder.handle(tx, events));
  t.equal((await h.district()).length, 1);
});

void t.test('thresholds: forwarded from the grade that reaches it, then followed to the clear', async (t) => {
  const h = await forwarderHarness(t, { district: { forwardMinGrade: 'orange' } });
  await h.apply([transition('wl-1', 0, 2, T0)]);
  await h.forward();
  t.equal((await h.district()).length, 0, 'yellow is below orange');
  await h.apply([transition('wl-1', 2, 3, T0 + 1000)]);
  await h.apply([transition('wl-1', 3, 1, T0 + 2000)]);
  await h.apply([transition('wl-1', 1, 0, T0 + 3000)]);
  await h.apply([transition('wl-2', 0, 1, T0 + 4000), transition('wl-2', 1, 0, T0 + 5000)]);
  await h.forward();
  const bodies = (await h.district()).map((r) => r.payload.body);
  t.same(bodies.map((b) => tag(b, 'msgType')), ['Alert', 'Update', 'Cancel'], 'crossing the threshold is an Alert; below it again still an Update; the clear a Cancel');
  t.same(bodies.map((b) => tag(b, 'severity')), ['Severe', 'Minor', 'Minor']);
  t.equal(new Set(bodies.map((b) => tag(b, 'value'))).size, 1, 'all three about the same warning (parameter warningId)');

  const off = await forwarderHarness(t, { district: { forwardMinGrade: 'off' } });
  await off.apply([transition('wl-1', 0, 4, T0)]);
  await off.forward();
  t.equal((await off.district()).length, 0, 'off forwards nothing');
});

void t.test('JSON form: the warning, the transition and the event as the district sees it', async (t) => {
  const h = await forwarderHarness(t, { district: { warningFormat: 'json', forwardMinGrade: 'yellow' } });
  await h.apply([transition('wl-1', 0, 1, T0)]);
  await h.apply([transition('wl-1', 1, 2, T0 + 1000)]);
  await h.apply([transition('wl-1', 2, 3, T0 + 2000)]);
  await h.apply([transition('wl-1', 3, 0, T0 + 3000)]);
  await h.forward();
  const rows = await h.district();
  t.same(rows.map((r) => r.payload.contentType), ['application/json', 'application/json', 'application/json']);
  const bodies = rows.map((r) => r.payload.body as Record<string, unknown>);
  for (const [i, b] of bodies.entries()) {
    t.ok(Value.Check(WarningMessage, b), 'matches the documented schema');
    t.equal(b['key'], rows[i]?.key, 'the body carries its key');
  }
  t.same(bodies.map((b) => b['event']), ['raised', 'updated', 'cleared'], 'first message at yellow is "raised" though the warning was raised blue');
  t.match(bodies[0], { warning: { grade: 'yellow', fingerprint: 'waterlogging/wl-1' }, transition: { from: 'blue', to: 'yellow' } });
  t.match(bodies[2], { warning: { state: 'cleared' }, transition: { from: 'orange', to: null } });
});

void t.test('exercise warnings go as CAP status Exercise', async (t) => {
  const h = await forwarderHarness(t);
  await h.apply([transition('wl-9', 0, 4, T0, { exercise: true })]);
  await h.forward();
  const [row] = await h.district();
  t.equal(tag(row?.payload.body, 'status'), 'Exercise');
  t.equal(tag(row?.payload.body, 'event'), 'waterlogging', 'no stored rule version: the rule id');
  t.match(row?.payload.body, /<note>/);
});

const external = (over: Partial<DirectWarningInput> = {}): DirectWarningInput => ({
  fingerprint: 'external/cma/1', subject: { type: 'external', id: 'cma-1' }, grade: 'yellow', title: '暴雨黄色预警', reason: 'CMA: 6 h rain ≥ 50 mm',
  category: 'rainstorm', blockCode: null, atMs: T0, ...over,
});

void t.test('external warnings use externalWarnings.forwardMinGrade; without an area code they go as JSON', async (t) => {
  const h = await forwarderHarness(t, { district: { forwardMinGrade: 'blue' }, externalMinGrade: 'orange' });
  await h.service.setDirectNow(external());
  await h.forward();
  t.equal((await h.district()).length, 0, 'yellow external: below the external threshold, though above district.forwardMinGrade');
  await h.service.setDirectNow(external({ grade: 'orange', atMs: T0 + 1000 }));
  await h.service.setDirectNow(external({ grade: null, atMs: T0 + 2000, reason: 'lifted' }));
  await h.forward();
  const rows = await h.district();
  t.same(rows.map((r) => r.payload.contentType), ['application/json', 'application/json'], 'no 6-digit block code and no district.cap.areaCode: JSON, and it stays JSON');
  t.same(rows.map((r) => (r.payload.body as Record<string, unknown>)['event']), ['raised', 'cleared']);

  const withArea = await forwarderHarness(t, { externalMinGrade: 'orange', district: { cap: { areaCode: '310117' } } });
  await withArea.service.setDirectNow(external({ grade: 'red' }));
  await withArea.forward();
  const [cap] = await withArea.district();
  t.equal(tag(cap?.payload.body, 'msgType'), 'Alert');
  t.equal(tag(cap?.payload.body, 'event'), '暴雨黄色预警', 'the title a direct warning carries');
  t.match(tag(cap?.payload.body, 'identifier'), /^31011741600_/);
});

void t.test('warnings about the gateway itself and silenced or storm-grouped ones are not forwarded', async (t) => {
  const h = await forwarderHarness(t);
  await h.service.setDirectNow(external({ fingerprint: 'sla/case/7/sign/1', subject: { type: 'case', id: '7' }, grade: 'red', blockCode: BLOCK }));
  await h.service.setDirectNow(external({ fingerprint: 'district/primary', subject: { type: 'district', id: 'primary' }, grade: 'red', blockCode: BLOCK }));
  await h.forward();
  t.equal((await h.district()).length, 0, 'SLA and link warnings stay home');

  const quiet = await forwarderHarness(t);
  await createSilence(quiet.db, { matchers: { devices: ['wl-1'], kinds: [], blocks: [], rules: [] }, endsAt: new Date(T0 + 3_600_000).toISOString(), reason: 'pump maintenance' }, 'ops-1', T0 - 1000);
  await quiet.apply([transition('wl-1', 0, 4, T0), transition('wl-2', 0, 4, T0)]);
  await quiet.forward();
  const loud = (await quiet.warnings()).find((w) => w.device_id === 'wl-2');
  t.same((await quiet.district()).map((r) => r.subject.id), [String(loud?.id)], 'the silenced wl-1 is not forwarded, wl-2 is');

  const storm = await forwarderHarness(t);
  const many = Array.from({ length: storm.config.warnings.stormPerBlockPerMinute + 2 }, (_, i) => transition(`wl-${i}`, 0, 2, T0 + i));
  await storm.apply(many);
  await storm.forward();
  const rows = await storm.district();
  const subjects = new Set((await storm.warnings()).filter((w) => w.storm_id !== null).map((w) => String(w.id)));
  t.ok(subjects.size > 0, 'some warnings joined a storm');
  t.notOk(rows.some((r) => subjects.has(r.subject.id ?? '')), 'members of a storm are not forwarded one by one');
  const stormRow = (await storm.warnings()).find((w) => w.fingerprint.startsWith('storm/'));
  t.ok(rows.some((r) => r.subject.id === String(stormRow?.id)), 'the storm warning is');
});

void t.test('case.opened: the case to /cases with the warning that opened it; the written report to /cases/{id}/reports', async (t) => {
  const h = await forwarderHarness(t);
  await h.apply([transition('wl-1', 0, 4, T0)], [waterlogging]);
  const [w] = await h.warnings();
  const fromWarning = caseView({ id: '7', source: 'warning', sourceName: 'waterlogging', warningId: String(w?.id) });
  const byHand = caseView({ id: '8', exercise: true });
  const written = {
    what: '道路积水', where: '某路 12 号', when: '2026-06-01T10:00:00+08:00', grade: 'red' as const, areaAffected: 'unknown', casualties: '无', losses: 'unknown',
    measuresTaken: '封路', pictures: [], nextSteps: '排水',
  };
  await h.feed.transaction(async (_tx, emit) => {
    await emit({ type: 'case.opened', subject: { type: 'case', id: '7' }, data: { case: fromWarning } });
    await emit({ type: 'case.opened', subject: { type: 'case', id: '8' }, exercise: true, data: { case: byHand } });
    await emit({ type: 'case.report_confirmed', subject: { type: 'case', id: '7' }, data: { case: fromWarning, report: written, version: 1 } });
    await emit({ type: 'case.report_confirmed', subject: { type: 'case', id: '7' }, data: { case: fromWarning, report: { ...written, what: '道路积水 (corrected)' }, version: 2 } });
    await emit({ type: 'case.status', subject: { type: 'case', id: '7' }, data: { case: fromWarning, from: 'new', to: 'reported' } });
  });
  await h.forward();
  const rows = (await h.district()).filter((r) => r.subject.type === 'case');
  t.same(rows.map((r) => r.key), ['case:7:opened', 'case:8:opened', 'case:7:report:1', 'case:7:report:2'], 'case.status is not forwarded');
  t.same(rows.map((r) => r.orderKey), ['case:7', 'case:8', 'case:7', 'case:7'], 'one order key per case: the report never overtakes the case');
  t.same(rows.map((r) => r.payload.path), ['/cases', '/cases', '/cases/7/reports', '/cases/7/reports']);
  t.same(rows.map((r) => r.payload.caseId), ['7', '8', '7', '7']);
  const [opened, hand, report] = rows.map((r) => r.payload.body as Record<string, unknown>);
  t.ok(Value.Check(CaseMessage, opened) && Value.Check(CaseMessage, hand), 'case bodies match the documented schema');
  t.ok(Value.Check(CaseReportMessage, report), 'report body matches the documented schema');
  t.match(opened, { kind: 'case', key: 'case:7:opened', case: { id: '7', warningId: String(w?.id) }, warning: { id: String(w?.id), grade: 'red' } });
  t.match(hand, { case: { id: '8', exercise: true }, warning: null });
  t.match(opened?.['sentAt'], /\+08:00$/);
  t.same(report, { kind: 'case_report', key: 'case:7:report:1', caseId: '7', version: 1, report: written });
  t.equal(rows[0]?.maxAgeMs, h.config.district.maxAgeMs, 'the default maximum age: 7 days');
});

void t.test('a malformed event is logged and skipped; what follows is still forwarded', async (t) => {
  const h = await forwarderHarness(t);
  await h.feed.transaction(async (_tx, emit) => {
    await emit({ type: 'case.opened', subject: { type: 'case', id: '1' }, data: { case: { id: '1' } } });
    await emit({ type: 'warning.raised', subject: { type: 'warning', id: '1' }, data: { warning: 'nope' } });
    await emit({ type: 'case.opened', subject: { type: 'case', id: '2' }, data: { case: caseView({ id: '2' }) } });
  });
  await h.forward();
  t.same((await h.district()).map((r) => r.key), ['case:2:opened']);
});

void t.test('run by the event relay: what the feed holds after the start is queued once', async (t) => {
  const h = await forwarderHarness(t);
  const relay = createEventRelay({ db: h.db, feed: h.feed, clock: h.clock, logger: pino({ level: 'silent' }) });
  relay.add(h.forwarder);
  await relay.start();
  t.teardown(() => relay.stop());
  await h.apply([transition('wl-1', 0, 3, T0)]);
  await h.apply([transition('wl-1', 3, 0, T0 + 1000)]);
  await relay.drain();
  await relay.drain();
  t.same((await h.district()).map((r) => tag(r.payload.body, 'msgType')), ['Alert', 'Cancel']);
});

import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import type { CaseChange } from './types.js';
import { caseHarness } from './test-support.js';
import type { ReportAuthor } from './report.js';

t.teardown(stopSharedPostgres);

const zhang: ReportAuthor = { actor: { type: 'user', id: 'u-zhang' }, name: 'zhang' };
const li: ReportAuthor = { actor: { type: 'user', id: 'u-li' }, name: 'li' };

void t.test('draft from the case, edits in versions, confirmation by the duty officer', async (t) => {
  const h = await caseHarness(t);
  const changes: CaseChange[] = [];
  h.cases.addHook(async (_tx, _emit, c) => void changes.push(c));
  const c = await h.open({ description: '人民路积水 40 厘米', location: { address: '松江区人民路', lon: 121.2, lat: 31.0 } });
  await h.walk(c.id, ['reported', 'dispatched']);

  const draft = await h.cases.reports.get(c.id);
  t.match(draft, { caseId: c.id, version: 0, confirmed: false, lastConfirmed: null, versions: [] });
  t.match(draft.report, {
    what: '道路积水；人民路积水 40 厘米', when: c.incidentAt, grade: 'orange', areaAffected: 'unknown', casualties: 'unknown', losses: 'unknown', pictures: [], nextSteps: '',
  });
  t.match(draft.report.where, /松江区人民路；网格 310117006001003012；经纬度 121\.200000, 31\.000000/);
  t.match(draft.report.measuresTaken, /已上报\n.* 已派遣 u1/, 'each step so far');

  h.clock.advance(60_000);
  const v1 = await h.cases.reports.edit(c.id, { ...draft.report, casualties: '无人员伤亡' }, zhang, { baseVersion: 0, note: 'first' });
  t.match(v1, { version: 1, confirmed: false, report: { casualties: '无人员伤亡' }, versions: [{ version: 1, editedBy: { id: 'u-zhang', name: 'zhang' }, confirmedAt: null }] });
  await t.rejects(h.cases.reports.edit(c.id, draft.report, li, { baseVersion: 0 }), { code: 'GW_ERR_CONFLICT', message: /at version 1, not 0/ });
  const v2 = await h.cases.reports.edit(c.id, { ...v1.report, losses: '两辆车受损' }, li, { baseVersion: 1 });
  t.equal(v2.version, 2);

  await t.rejects(h.cases.reports.confirm(c.id, zhang, { version: 1 }), { code: 'GW_ERR_CONFLICT' }, 'only the current version is confirmed');
  t.equal((await h.events(['case.report_confirmed'])).length, 0);
  h.clock.advance(60_000);
  const confirmed = await h.cases.reports.confirm(c.id, zhang, { version: 2 });
  t.match(confirmed, { version: 2, confirmed: true, lastConfirmed: { version: 2, by: { name: 'zhang' } } });
  const events = await h.events(['case.report_confirmed']);
  t.equal(events.length, 1);
  t.match(events[0], { subject: { type: 'case', id: c.id }, data: { case: { id: c.id }, version: 2, report: { losses: '两辆车受损', casualties: '无人员伤亡' } } });
  t.same(Object.keys(events[0]?.data ?? {}).sort(), ['case', 'report', 'version']);
  t.match(changes.filter((x) => x.type === 'report_confirmed'), [{ type: 'report_confirmed', case: { id: c.id }, atMs: h.clock.now(), actor: zhang.actor }]);

  await h.cases.reports.confirm(c.id, li);
  t.equal((await h.events(['case.report_confirmed'])).length, 1, 'confirming it again changes nothing');

  const v3 = await h.cases.reports.edit(c.id, { ...v2.report, nextSteps: '持续排水' }, li);
  t.match(v3, { version: 3, confirmed: false, lastConfirmed: { version: 2 } }, 'a correction needs confirming again; version 2 still counts');
  await h.cases.reports.confirm(c.id, zhang);
  t.match((await h.events(['case.report_confirmed'])).map((e) => e.data['version']), [2, 3]);
  const versions = await h.cases.reports.versions(c.id);
  t.match(versions.map((v) => [v.version, v.editedBy.name, v.note, v.confirmedBy?.name ?? null]), [[1, 'zhang', 'first', null], [2, 'li', null, 'zhang'], [3, 'li', null, 'zhang']]);
});

void t.test('confirming before any edit saves the draft as version 1', async (t) => {
  const h = await caseHarness(t);
  const c = await h.open();
  const out = await h.cases.reports.confirm(c.id, zhang, { version: 0 });
  t.match(out, { version: 1, confirmed: true, lastConfirmed: { version: 1 } });
  t.match(await h.cases.reports.versions(c.id), [{ version: 1, note: '按草稿确认', editedBy: { name: 'zhang' }, confirmedBy: { name: 'zhang' } }]);
  await t.rejects(h.cases.reports.get('98765'), { code: 'GW_ERR_NOT_FOUND' });
  await t.rejects(h.cases.reports.confirm('98765', zhang), { code: 'GW_ERR_NOT_FOUND' });
});

import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { transition, waterlogging, T0 as W0 } from '../warnings/test-support.js';
import type { CaseService } from './types.js';
import { BLOCK, caseHarness, opsActor, warningCaseHarness } from './test-support.js';

t.teardown(stopSharedPostgres);

const china = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().replace('Z', '+08:00');

void t.test('external reports: one case per (source, externalId), the first one returned on repeats', async (t) => {
  const h = await caseHarness(t);
  const report = { source: 'external' as const, sourceName: '12345', externalId: 'RX-001', category: 'other', title: '井盖缺失', description: '市民来电', blockCode: '310117006-001', location: { lon: 121.2, lat: 31.0, address: '松江区某路' }, incidentAtMs: h.clock.now() - 600_000 };
  const actor = { type: 'source' as const, id: 'source:12345' };
  const first = await h.cases.create(report, actor);
  t.equal(first.duplicate, false);
  t.match(first.case, {
    source: 'external', sourceName: '12345', externalId: 'RX-001', status: 'new', blockCode: '310117006001', createdBy: 'source:12345',
    incidentAt: china(h.clock.now() - 600_000), createdAt: china(h.clock.now()), location: { address: '松江区某路' }, warningId: null,
  });
  h.clock.advance(1000);
  const again = await h.cases.create({ ...report, title: 'changed' }, actor);
  t.equal(again.duplicate, true);
  t.same(again.case, first.case, 'the first case, unchanged');
  const other = await h.cases.create({ ...report, sourceName: '110' }, { type: 'source', id: 'source:110' });
  t.equal(other.duplicate, false, 'the same report id from another source is another case');
  t.equal((await h.events(['case.opened'])).length, 2, 'case.opened once per case');
  const opened = (await h.events(['case.opened']))[0];
  t.match(opened, { subject: { type: 'case', id: first.case.id }, blockCode: '310117006001', grade: null, exercise: false, data: { case: { id: first.case.id } } });
  t.match((await h.cases.detail(first.case.id))?.transitions, [{ from: null, to: 'new', step: 'opened', actor }]);

  await t.rejects(h.cases.create({ ...report, externalId: undefined }, actor), { code: 'GW_ERR_VALIDATION', message: /needs its externalId/ });
  await t.rejects(h.cases.create({ ...report, externalId: 'RX-2', title: '  ' }, actor), { code: 'GW_ERR_VALIDATION', message: /title/ });
});

void t.test('by hand: the actor is the source, grade and exercise kept; list filters and paging', async (t) => {
  const h = await caseHarness(t);
  const a = await h.open({ exercise: true });
  t.match(a, { source: 'manual', sourceName: opsActor.id, createdBy: opsActor.id, grade: 'orange', exercise: true });
  h.clock.advance(1000);
  const b = await h.open({ blockCode: '320000000000000001', grade: 'red' });
  h.clock.advance(1000);
  const c = await h.open();
  await h.walk(c.id, ['reported', 'dispatched']);
  await h.cases.create({ source: 'external', sourceName: '110', externalId: 'J-1', category: 'public_security', title: '打架' }, { type: 'source', id: 'source:110' });
  const ids = async (q: Parameters<CaseService['list']>[0]) => (await h.cases.list(q)).cases.map((x) => x.title === '打架' ? 'ext' : x.id);
  t.same(await ids({}), ['ext', c.id, b.id, a.id], 'newest first');
  t.same(await ids({ status: ['dispatched'] }), [c.id]);
  t.same(await ids({ status: ['new', 'dispatched'], source: 'manual' }), [c.id, b.id, a.id]);
  t.same(await ids({ blockPrefix: '3101-17' }), [c.id, a.id]);
  t.same(await ids({ unitId: 'u1' }), [c.id]);
  t.same(await ids({ fromMs: W0 + 1000, toMs: W0 + 2000 }), [b.id]);
  const page = await h.cases.list({ limit: 2 });
  t.equal(page.cases.length, 2);
  const rest = await h.cases.list({ limit: 2, ...(page.nextCursor ? { after: page.nextCursor } : {}) });
  t.same(rest.cases.map((x) => x.id), [b.id, a.id]);
  t.equal((await h.cases.list({ limit: 2, after: a.id })).nextCursor, null);
});

void t.test('a warning opens its case in its own transaction, once, with the warning\'s facts', async (t) => {
  const { w, h } = await warningCaseHarness(t);
  await h.db.query(
    `INSERT INTO rule_versions (rule_id, version, body, hash, author, reason, created_at_ms) VALUES ('waterlogging', 3, $1, 'h', 'test', 'test', 0)`,
    [JSON.stringify(waterlogging.rule)],
  );
  await h.db.query(`INSERT INTO devices (id, name, kind, adapter, lon, lat, address, input_lon, input_lat, input_crs, block_code, password_hash, credentials_rotated_at, created_at, updated_at)
    VALUES ('wl-1', 'wl-1', 'waterlogging', 'generic', 121.23, 31.03, '松江区人民路 1 号', 121.23, 31.03, 'wgs84', '31011700600100301', 'x', now(), now(), now())`);
  await w.apply([transition('wl-1', 0, 2, W0 - 120_000)]);
  t.equal((await h.cases.list({})).cases.length, 0, 'yellow opens nothing');
  w.clock.advance(60_000);
  await w.apply([transition('wl-1', 2, 4, W0)]);
  const [c] = (await h.cases.list({})).cases;
  const warning = (await w.warnings())[0];
  t.match(c, {
    source: 'warning', sourceName: 'waterlogging', warningId: String(warning?.id), category: 'rainstorm', kind: 'waterlogging', grade: 'red',
    title: '道路积水', blockCode: BLOCK, status: 'new', createdBy: 'system', exercise: false,
    incidentAt: china(W0 - 120_000), description: /^wl-1: depth_cm 55/, location: { lon: 121.23, lat: 31.03, address: '松江区人民路 1 号' },
  }, 'rule name as title, first breach as incident time, the device\'s place');
  const opened = await h.events(['case.opened']);
  t.equal(opened.length, 1);
  t.match(opened[0], { grade: 'red', blockCode: BLOCK, data: { case: { id: c?.id } } });
  // The same warning asking again (a replay) opens nothing more.
  const view = await w.service.get(String(warning?.id));
  await w.feed.transaction((tx, emit) => h.cases.openForWarning(tx, emit, view!.warning, w.clock.now()));
  t.equal((await h.cases.list({})).cases.length, 1, 'idempotent per warning');
  t.equal((await h.events(['case.opened'])).length, 1);
});

void t.test('hooks run inside the change\'s transaction; a throwing hook rolls the change back', async (t) => {
  const h = await caseHarness(t);
  const seen: Array<{ type: string; visible: boolean; to?: string }> = [];
  let fail = '';
  h.cases.addHook(async (tx, emit, change) => {
    // The hook sees the change through the transaction, and may emit with it.
    const r = await tx.query<{ status: string }>('SELECT status FROM cases WHERE id = $1', [change.case.id]);
    seen.push({ type: change.type, visible: r.rows[0]?.status === change.case.status, ...(change.type === 'transition' ? { to: change.to } : {}) });
    await emit({ type: 'case.sla_test', subject: { type: 'case', id: change.case.id }, data: {} });
    if (fail === change.type) throw new Error(`hook refused ${change.type}`);
  });
  const c = await h.open();
  await h.cases.transition({ caseId: c.id, to: 'reported', actor: { type: 'district', id: 'district' } });
  t.same(seen, [{ type: 'opened', visible: true }, { type: 'transition', visible: true, to: 'reported' }]);
  t.equal((await h.events(['case.sla_test'])).length, 2, 'hook events commit with the change');

  fail = 'transition';
  const eventsBefore = (await h.events()).length;
  await t.rejects(h.cases.transition({ caseId: c.id, to: 'dispatched', actor: { type: 'district', id: 'district' }, unit: { id: 'u1', tier: 1 } }), { message: 'hook refused transition' });
  t.equal((await h.cases.get(c.id))?.status, 'reported', 'the step is rolled back');
  t.equal((await h.events()).length, eventsBefore, 'and its events');
  t.equal((await h.cases.detail(c.id))?.transitions.length, 2);

  fail = 'opened';
  const count = (await h.cases.list({})).cases.length;
  await t.rejects(h.open(), { message: 'hook refused opened' });
  t.equal((await h.cases.list({})).cases.length, count, 'no case without its hooks');

  fail = 'report_confirmed';
  await t.rejects(h.cases.reports.confirm(c.id, { actor: { type: 'user', id: 'u-ops' }, name: 'zhang' }), { message: 'hook refused report_confirmed' });
  t.equal((await h.cases.reports.get(c.id)).version, 0, 'no confirmed report either');
});

void t.test('a hook that throws while a warning opens its case rolls the warning back too', async (t) => {
  const { w, h } = await warningCaseHarness(t, (change) => {
    if (change.type === 'opened') throw new Error('sla store down');
  });
  await t.rejects(w.apply([transition('wl-1', 0, 4, W0)]), { message: 'sla store down' });
  t.same(await w.warnings(), [], 'no warning without its case');
  t.same((await h.cases.list({})).cases, []);
});

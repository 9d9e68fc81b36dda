import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { putPlan } from '../duty/plans.js';
import { NOW, externalSetup, fixture } from './test-support.js';

t.teardown(stopSharedPostgres);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions on response bodies

void t.test('Alert raises an orange warning beside our own and starts 叫应 with the rainstorm call plan', async (t) => {
  const s = await externalSetup(t, { notify: ['ops-webhook'] });
  // An edited rainstorm plan, to see that this is the plan the call follows.
  await s.h.db.transaction((tx) => putPlan(tx, 'rainstorm', { description: 'test', steps: [{ role: 'leader_on_duty', channels: ['sms-gateway'] }, { role: 'head', channels: ['phone-gateway'] }] }, NOW));
  const r = await s.post(fixture('rainstorm-orange'));
  t.equal(r.status, 201, JSON.stringify(r.body));
  const body = r.body as Json;
  t.equal(body.duplicate, false);
  t.match(body.externalWarning, {
    sender: 'qxt.wuxing@weather.example.cn', identifier: '33050241600000_20240701083000', sent: '2024-07-01T08:30:00+08:00', status: 'Actual', msgType: 'Alert',
    chain: { sender: 'qxt.wuxing@weather.example.cn', identifier: '33050241600000_20240701083000' }, severity: 'Severe', grade: 'orange', category: 'rainstorm',
    blockCode: '330502', expiresAt: '2024-07-02T00:30:00.000Z', action: 'raised', receivedBy: 'cma-feed', references: [],
  });
  const w = body.warning as Json;
  t.match(w, {
    fingerprint: 'external/qxt.wuxing@weather.example.cn/33050241600000_20240701083000', subject: { type: 'external', id: body.externalWarning.id },
    grade: 'orange', category: 'rainstorm', blockCode: '330502', state: 'active', exercise: false, ruleId: null, raisedAt: '2024-07-01T00:30:00.000Z',
    data: { title: '吴兴区气象台发布暴雨橙色预警信号', cap: { sender: 'qxt.wuxing@weather.example.cn', identifier: '33050241600000_20240701083000', sent: '2024-07-01T08:30:00+08:00', msgType: 'Alert' } },
  });
  t.equal(body.externalWarning.warningId, w.id);

  const callouts = await s.h.db.query<{ warning_id: string; category: string; grade: string; summary: string; steps: Array<{ role: string; channels: string[] }> }>('SELECT warning_id::text, category, grade, summary, steps FROM callouts');
  t.equal(callouts.rows.length, 1, 'Severe: 叫应 by the acknowledgeGrades policy');
  t.match(callouts.rows[0], { warning_id: w.id, category: 'rainstorm', grade: 'orange', summary: /暴雨橙色预警信号/ });
  // The policy chain (warnings/actions.ts defaultChain) with each role's channels from the rainstorm plan.
  const steps = new Map(callouts.rows[0]?.steps.map((x) => [x.role, x.channels]));
  t.same([steps.get('leader_on_duty'), steps.get('head')], [['sms-gateway'], ['phone-gateway']], 'channels from the rainstorm call plan');
  t.ok((await s.h.events()).some((e) => e.type.startsWith('callout.') && e.data['warningId'] === w.id), 'the callout began (callout.* event)');

  const raised = (await s.h.events(['warning.raised']))[0];
  t.match(raised?.data, { warning: { subject: { type: 'external' }, data: { cap: { identifier: '33050241600000_20240701083000' } } } }, 'the event carries the subject type and the CAP identifiers for the forwarder');
  const channels = (await s.h.outbox()).map((n) => n.channel);
  t.same([...new Set(channels)].sort(), ['mqtt', 'ops-webhook'], 'externalWarnings.notify channels');

  const list = await s.get('/warnings?state=open', s.tokens.viewer);
  t.same((list.body as Json).warnings.map((x: Json) => x.subject.type), ['external'], 'listed with our own warnings');
});

void t.test('Update regrades the same warning; Cancel clears it and stops the callout', async (t) => {
  const s = await externalSetup(t);
  const first = (await s.post(fixture('rainstorm-orange'))).body as Json;
  s.advance(2 * 3600_000);
  const up = await s.post(fixture('rainstorm-update-red'));
  t.equal(up.status, 201, JSON.stringify(up.body));
  const upd = up.body as Json;
  t.match(upd.externalWarning, { msgType: 'Update', action: 'regraded', grade: 'red', chain: { identifier: '33050241600000_20240701083000' } });
  t.equal(upd.warning.id, first.warning.id, 'the same warning');
  t.match(upd.warning, { grade: 'red', peakGrade: 'red', data: { title: '吴兴区气象台将暴雨橙色预警信号升级为红色', cap: { identifier: '33050241600000_20240701103000', msgType: 'Update' } } });
  t.same(upd.externalWarning.references, [{ sender: 'qxt.wuxing@weather.example.cn', identifier: '33050241600000_20240701083000', sent: '2024-07-01T08:30:00+08:00' }]);

  s.advance(5.5 * 3600_000);
  const cancel = await s.post(fixture('rainstorm-cancel'));
  t.equal(cancel.status, 201, JSON.stringify(cancel.body));
  const c = cancel.body as Json;
  t.match(c.externalWarning, { msgType: 'Cancel', action: 'cleared', grade: null, warningId: first.warning.id });
  t.match(c.warning, { id: first.warning.id, state: 'cleared' });
  const callout = await s.h.db.query<{ state: string }>('SELECT state FROM callouts');
  t.same(callout.rows, [{ state: 'cancelled' }], 'the callout stopped');
  t.same((await s.h.events(['warning.raised', 'warning.updated', 'warning.cleared'])).map((e) => e.type), ['warning.raised', 'warning.updated', 'warning.cleared']);

  const all = await s.get('/external-warnings', s.tokens.ops);
  t.same((all.body as Json).externalWarnings.map((x: Json) => x.action), ['cleared', 'regraded', 'raised'], 'newest first');
  t.same(((await s.get(`/external-warnings?warning=${first.warning.id}&msgType=Update`)).body as Json).externalWarnings.map((x: Json) => x.identifier), ['33050241600000_20240701103000']);
});

void t.test('a repeat is idempotent; the same identifier with other content is a conflict', async (t) => {
  const s = await externalSetup(t);
  const a = await s.post(fixture('rainstorm-orange'));
  const b = await s.post(fixture('rainstorm-orange').replace(/\n\s*/g, '\n'), { token: s.tokens.ops });
  t.equal(b.status, 200, 'whitespace aside, the same alert');
  t.match(b.body, { duplicate: true, externalWarning: { id: (a.body as Json).externalWarning.id }, warning: { id: (a.body as Json).warning.id } });
  t.same(await s.counts(), { external: 1, warnings: 1 });
  t.equal((await s.h.events(['warning.raised'])).length, 1, 'raised once');
  const other = await s.post(fixture('rainstorm-orange').replace('<severity>Severe</severity>', '<severity>Extreme</severity>'));
  t.equal(other.status, 409, JSON.stringify(other.body));
  t.equal(other.error.code, 'GW_ERR_CONFLICT');
  t.same(await s.counts(), { external: 1, warnings: 1 });
});

const orange = fixture('rainstorm-orange');
const without = (name: string) => orange.replace(new RegExp(`\\s*<${name}>[^<]*</${name}>`), '');

/** Every kind of malformed input, the element the error must name, and the status. */
const malformed: Array<[string, string, string, number?]> = [
  ['not XML', 'this is not xml', 'xml'],
  ['empty', '', 'xml'],
  ['not well-formed', orange.replace('</info>', ''), 'xml'],
  ['bare ampersand', orange.replace('暴雨</event>', '暴雨 & 大风</event>'), 'xml'],
  ['not CAP', '<?xml version="1.0"?><rss version="2.0"><channel/></rss>', 'alert'],
  ['no namespace', orange.replace(' xmlns="urn:oasis:names:tc:emergency:cap:1.2"', ''), 'alert'],
  ['CAP 1.1', orange.replace('cap:1.2', 'cap:1.1'), 'CAP 1.1'],
  ...['identifier', 'sender', 'sent', 'status', 'msgType', 'scope'].map((e): [string, string, string] => [`no ${e}`, without(e), `alert/${e}`]),
  ...['category', 'event', 'urgency', 'severity', 'certainty'].map((e): [string, string, string] => [`no ${e}`, without(e), `alert/info[1]/${e}`]),
  ['no areaDesc', without('areaDesc'), 'alert/info[1]/area[1]/areaDesc'],
  ['no info on an Alert', orange.replace(/<info>[\s\S]*<\/info>/, ''), 'alert/info'],
  ['empty event', orange.replace('<event>暴雨</event>', '<event> </event>'), 'alert/info[1]/event'],
  ['bad status', orange.replace('<status>Actual</status>', '<status>Real</status>'), 'alert/status'],
  ['bad msgType', orange.replace('<msgType>Alert</msgType>', '<msgType>Warning</msgType>'), 'alert/msgType'],
  ['bad scope', orange.replace('<scope>Public</scope>', '<scope>public</scope>'), 'alert/scope'],
  ['bad category', orange.replace('<category>Met</category>', '<category>Weather</category>'), 'alert/info[1]/category[1]'],
  ['bad urgency', orange.replace('<urgency>Immediate</urgency>', '<urgency>Now</urgency>'), 'alert/info[1]/urgency'],
  ['bad severity', orange.replace('<severity>Severe</severity>', '<severity>橙色</severity>'), 'alert/info[1]/severity'],
  ['bad certainty', orange.replace('<certainty>Likely</certainty>', '<certainty>Sure</certainty>'), 'alert/info[1]/certainty'],
  ['bad responseType', orange.replace('<responseType>Prepare</responseType>', '<responseType>Run</responseType>'), 'alert/info[1]/responseType[1]'],
  ['sent without offset', orange.replace('<sent>2024-07-01T08:30:00+08:00</sent>', '<sent>2024-07-01T08:30:00</sent>'), 'alert/sent'],
  ['sent in Z', orange.replace('<sent>2024-07-01T08:30:00+08:00</sent>', '<sent>2024-07-01T00:30:00Z</sent>'), 'alert/sent'],
  ['sent not a date', orange.replace('<sent>2024-07-01T08:30:00+08:00</sent>', '<sent>2024-02-30T08:30:00+08:00</sent>'), 'alert/sent'],
  ['bad expires', orange.replace('<expires>2024-07-02T08:30:00+08:00</expires>', '<expires>tomorrow</expires>'), 'alert/info[1]/expires'],
  ['identifier with a space', orange.replace('<identifier>33050241600000_20240701083000</identifier>', '<identifier>a b</identifier>'), 'alert/identifier'],
  ['sender with a comma', orange.replace('<sender>qxt.wuxing@weather.example.cn</sender>', '<sender>a,b</sender>'), 'alert/sender'],
  ['Update without references', orange.replace('<msgType>Alert</msgType>', '<msgType>Update</msgType>'), 'alert/references'],
  ['bad references', orange.replace('<scope>Public</scope>', '<scope>Public</scope><references>qxt,only-two</references>'), 'alert/references'],
  ['references with a bad time', orange.replace('<scope>Public</scope>', '<scope>Public</scope><references>qxt,id1,2024-07-01</references>'), 'alert/references'],
  ['out of order', orange.replace('<status>Actual</status>\n  <msgType>Alert</msgType>', '<msgType>Alert</msgType>\n  <status>Actual</status>'), 'alert/status'],
  ['twice', orange.replace('<event>暴雨</event>', '<event>暴雨</event><event>大风</event>'), 'alert/info[1]/event'],
  ['unknown element', orange.replace('<scope>Public</scope>', '<scope>Public</scope><priority>1</priority>'), 'alert/priority'],
  ['foreign element', orange.replace('<scope>Public</scope>', '<scope>Public</scope><x:y xmlns:x="urn:x">1</x:y>'), 'alert/y'],
  ['text in a container', orange.replace('<area>', '<area>loose text'), 'alert/info[1]/area[1]'],
  ['Restricted without restriction', orange.replace('<scope>Public</scope>', '<scope>Restricted</scope>'), 'alert/restriction'],
  ['bad polygon', orange.replace('</areaDesc>', '</areaDesc><polygon>30,120 31,121</polygon>'), 'alert/info[1]/area[1]/polygon[1]'],
  ['bad circle', orange.replace('</areaDesc>', '</areaDesc><circle>30.1,120.2</circle>'), 'alert/info[1]/area[1]/circle[1]'],
  ['DOCTYPE (XXE)', orange.replace('<alert ', '<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<alert ').replace('<event>暴雨</event>', '<event>&xxe;</event>'), 'xml'],
  ['entity bomb', `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>${orange.replace(/^<\?xml[^>]*>/, '').replace('<event>暴雨</event>', '<event>&lol2;</event>')}`, 'xml'],
  ['undeclared entity', orange.replace('<event>暴雨</event>', '<event>&nbsp;</event>'), 'xml'],
  ['unsupported charset', orange.replace('encoding="UTF-8"', 'encoding="Shift_JIS"'), 'encoding'],
];

void t.test('malformed alerts: GW_ERR_CAP_INVALID naming the element, nothing stored', async (t) => {
  const s = await externalSetup(t);
  for (const [what, xml, element, status = 422] of malformed) {
    const r = await s.post(xml);
    t.equal(r.status, status, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
    t.equal(r.error.code, 'GW_ERR_CAP_INVALID', what);
    t.ok(String(r.error.message).includes(element), `${what}: "${r.error.message}" names ${element}`);
  }
  t.same(await s.counts(), { external: 0, warnings: 0 }, 'nothing stored, nothing raised');
  t.equal((await s.h.events()).length, 0, 'no events');

  const json = await s.post(JSON.stringify({ alert: 'no' }), { contentType: 'application/json' });
  t.equal(json.status, 415);
  t.equal(json.error.code, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE');
  const big = await s.post(`${orange}<!--${'x'.repeat(1024 * 1024)}-->`);
  t.equal(big.status, 413);
  t.same(await s.counts(), { external: 0, warnings: 0 });
});

void t.test('other encodings and prefixes: GB 18030 by declaration, a cap: prefix, text/xml, a signature', async (t) => {
  const s = await externalSetup(t);
  const gb = orange.replace('encoding="UTF-8"', 'encoding="GB2312"');
  const r = await s.post(encodeGb18030(gb), { contentType: 'application/xml' });
  t.equal(r.status, 201, JSON.stringify(r.body));
  t.match((r.body as Json).externalWarning, { event: '暴雨', headline: '吴兴区气象台发布暴雨橙色预警信号' }, 'decoded from GB 18030');
  const detail = await s.get(`/external-warnings/${(r.body as Json).externalWarning.id}`, s.tokens.viewer);
  t.equal(detail.status, 200);
  t.match((detail.body as Json).xml, /encoding="GB2312"[\s\S]*吴兴区气象台/, 'raw XML kept, as text');
  t.match((detail.body as Json).alert, { identifier: '33050241600000_20240701083000', info: [{ event: '暴雨', parameter: [{ valueName: '预警信号', value: '暴雨橙色' }], area: [{ geocode: [{ valueName: 'GB/T 2260', value: '330502' }] }] }] });

  const prefixed = orange
    .replace('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">', '<cap:alert xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">')
    .replace(/<(\/?)(?!cap:|\?)([A-Za-z]+)>/g, '<$1cap:$2>')
    .replace('</alert>', '</cap:alert>')
    .replace('33050241600000_20240701083000', 'prefixed-1')
    .replace('</cap:info>', '</cap:info><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>');
  const p = await s.post(prefixed, { contentType: 'text/xml; charset=utf-8' });
  t.equal(p.status, 201, JSON.stringify(p.body));
  t.match((p.body as Json).externalWarning, { identifier: 'prefixed-1', action: 'raised' });
});

/** GB 18030 bytes of a string that is ASCII apart from two-byte characters, from the decoder's own table. */
function encodeGb18030(text: string): Buffer {
  const decoder = new TextDecoder('gb18030');
  const table = new Map<string, Buffer>();
  for (let hi = 0x81; hi <= 0xfe; hi++) {
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      const b = Buffer.from([hi, lo]);
      const ch = decoder.decode(b);
      if (!table.has(ch)) table.set(ch, b);
    }
  }
  return Buffer.concat([...text].map((ch) => {
    if (ch.charCodeAt(0) < 0x80) return Buffer.from(ch, 'latin1');
    const b = table.get(ch);
    if (!b) throw new Error(`no two-byte GB 18030 code for ${ch}`);
    return b;
  }));
}

void t.test('Exercise raises a drill warning; Test, Ack and an expired alert are stored only', async (t) => {
  const s = await externalSetup(t);
  const drill = await s.post(orange.replace('<status>Actual</status>', '<status>Exercise</status>').replace('33050241600000_20240701083000', 'drill-1'));
  t.match((drill.body as Json), { externalWarning: { action: 'raised', status: 'Exercise' }, warning: { exercise: true, grade: 'orange' } });
  const callout = await s.h.db.query<{ exercise: boolean }>('SELECT exercise FROM callouts');
  t.same(callout.rows, [{ exercise: true }], 'a drill callout, marked as one');

  const test = await s.post(orange.replace('<status>Actual</status>', '<status>Test</status>').replace('33050241600000_20240701083000', 'test-1'));
  t.match(test.body, { externalWarning: { action: 'stored', status: 'Test', grade: 'orange', warningId: null }, warning: null });

  const ack = await s.post(orange.replace('<msgType>Alert</msgType>', '<msgType>Ack</msgType>').replace('<scope>Public</scope>', '<scope>Public</scope>\n  <references>x,drill-1,2024-07-01T08:30:00+08:00</references>').replace(/<info>[\s\S]*<\/info>/, '').replace('33050241600000_20240701083000', 'ack-1'));
  t.match(ack.body, { externalWarning: { action: 'stored', msgType: 'Ack' }, warning: null });

  const old = await s.post(orange.replace('<expires>2024-07-02T08:30:00+08:00</expires>', '<expires>2024-07-01T08:00:00+08:00</expires>').replace('33050241600000_20240701083000', 'old-1'));
  t.match(old.body, { externalWarning: { action: 'expired', expiresAt: '2024-07-01T00:00:00.000Z' }, warning: null });
  t.same(await s.counts(), { external: 4, warnings: 1 }, 'only the drill raised a warning');
  t.equal((await s.h.db.query('SELECT 1 FROM callouts')).rows.length, 1, 'nobody called for Test or expired alerts');
});

void t.test('an alert clears its warning when it expires (the tick on the clock); an Update extends it', async (t) => {
  const s = await externalSetup(t);
  const a = (await s.post(fixture('rainstorm-orange'))).body as Json;
  s.advance(3600_000);
  t.equal(await s.service.expire(s.h.clock.now()), 0, 'not yet');
  // An Update later that day moves the end to 07-02 10:30 +08:00.
  await s.post(fixture('rainstorm-update-red'));
  s.advance(Date.parse('2024-07-02T08:31:00+08:00') - s.h.clock.now());
  t.equal(await s.service.expire(s.h.clock.now()), 0, 'past the Alert\'s expiry, but the Update keeps it in force');
  t.equal((await s.h.warning(a.warning.id)).state, 'active');

  s.advance(Date.parse('2024-07-02T10:29:59+08:00') - s.h.clock.now());
  s.service.start(1000);
  s.advance(1000);
  await s.service.stop();
  const w = await s.h.warning(a.warning.id);
  t.equal(w.state, 'cleared', 'the tick cleared it when the Update expired');
  t.match(w.reason, /expired at 2024-07-02T02:30:00.000Z/);
  t.equal(await s.service.expire(s.h.clock.now()), 0, 'once');
  const cancel = await s.post(fixture('rainstorm-cancel'));
  t.match(cancel.body, { externalWarning: { action: 'stored' }, warning: null }, 'a Cancel of an expired warning changes nothing');
});

void t.test('a late message of a chain is stored but does not undo a newer one', async (t) => {
  const s = await externalSetup(t);
  s.advance(2 * 3600_000);
  const up = (await s.post(fixture('rainstorm-update-red'))).body as Json;
  t.match(up, { externalWarning: { action: 'raised', grade: 'red', chain: { identifier: '33050241600000_20240701083000' } }, warning: { grade: 'red' } }, 'an Update whose Alert we never saw raises the chain');
  const late = (await s.post(fixture('rainstorm-orange'))).body as Json;
  t.match(late.externalWarning, { action: 'superseded', warningId: null });
  t.equal((await s.h.warning(up.warning.id)).grade, 4, 'still red');
});

void t.test('roles: platform and ops post; viewers and district read; vendors neither', async (t) => {
  const s = await externalSetup(t);
  t.equal((await s.post(orange, { token: s.tokens.viewer })).status, 403);
  t.equal((await s.post(orange, { token: s.tokens.vendor })).status, 403);
  t.equal((await s.post(orange, { token: s.tokens.district })).status, 403);
  t.equal((await s.post(orange, { token: s.tokens.ops })).status, 201);
  for (const token of [s.tokens.viewer, s.tokens.district, s.tokens.platform, s.tokens.ops]) t.equal((await s.get('/external-warnings', token)).status, 200);
  t.equal((await s.get('/external-warnings', s.tokens.vendor)).status, 403);
  t.equal((await s.get('/external-warnings/999', s.tokens.ops)).status, 404);
  const list = await s.get(`/external-warnings?from=${new Date(NOW).toISOString()}&to=${new Date(NOW).toISOString()}`);
  t.equal(list.status, 400);
});

void t.test('list filters and cursor paging', async (t) => {
  const s = await externalSetup(t);
  for (let i = 1; i <= 5; i++) await s.post(orange.replace('33050241600000_20240701083000', `id-${i}`).replace('<status>Actual</status>', `<status>${i % 2 ? 'Actual' : 'Test'}</status>`));
  const page1 = (await s.get('/external-warnings?limit=2')).body as Json;
  t.same(page1.externalWarnings.map((x: Json) => x.identifier), ['id-5', 'id-4']);
  const page2 = (await s.get(`/external-warnings?limit=2&cursor=${page1.nextCursor}`)).body as Json;
  t.same(page2.externalWarnings.map((x: Json) => x.identifier), ['id-3', 'id-2']);
  t.same(((await s.get('/external-warnings?status=Test')).body as Json).externalWarnings.map((x: Json) => x.identifier), ['id-4', 'id-2']);
  t.same(((await s.get('/external-warnings?action=raised')).body as Json).externalWarnings.map((x: Json) => x.identifier), ['id-5', 'id-3', 'id-1']);
  t.same(((await s.get('/external-warnings?action=unchanged')).body as Json).externalWarnings.map((x: Json) => x.identifier), [], 'separate identifiers are separate chains');
  t.same(((await s.get('/external-warnings?sender=nobody')).body as Json).externalWarnings, []);
});

void t.test('an Update at the same grade leaves the warning as it is; a Cancel of something never raised is only stored', async (t) => {
  const s = await externalSetup(t);
  const a = (await s.post(fixture('rainstorm-orange'))).body as Json;
  const same = fixture('rainstorm-update-red').replace('<severity>Extreme</severity>', '<severity>Severe</severity>').replace('<value>暴雨红色</value>', '<value>暴雨橙色</value>')
    .replace('<headline>吴兴区气象台将暴雨橙色预警信号升级为红色</headline>', '<headline>吴兴区气象台继续发布暴雨橙色预警信号</headline>');
  const u = (await s.post(same)).body as Json;
  t.match(u, { externalWarning: { action: 'unchanged', grade: 'orange', warningId: a.warning.id }, warning: { id: a.warning.id, grade: 'orange', data: { title: '吴兴区气象台继续发布暴雨橙色预警信号' } } });
  t.equal((await s.h.events(['warning.updated'])).length, 0, 'no grade change, no event');
  const stray = fixture('rainstorm-cancel').replace(/33050241600000_2024070108/g, 'unknown_2024070108').replace(/33050241600000_2024070110/g, 'unknown_2024070110').replace('33050241600000_20240701160000', 'unknown-cancel');
  t.match((await s.post(stray)).body, { externalWarning: { action: 'stored', chain: { identifier: 'unknown_20240701083000' } }, warning: null });
});

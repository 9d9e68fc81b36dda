/**
 * Deliveries over real HTTP: signatures, idempotent acknowledgements shared by both links,
 * every delivery kind and the refusals, each with the counter it moves.
 */
import t from 'tap';
import { FakeClock } from '../../gateway/core/clock.js';
import { warningToCap, type CapInput } from '../../gateway/district/cap.js';
import { caseMessage, deliver, deliverCase, testSecret, testSimulator, tinyJpeg } from './test-support.js';

t.test('a signed case is stored and numbered; a tampered, unsigned, wrongly keyed or stale one is refused', async (t) => {
  const clock = new FakeClock(Date.UTC(2026, 4, 31, 20, 0)); // 2026-06-01 04:00 in China
  const sim = await testSimulator(t, { clock });
  const at = clock.now();
  const ok = await deliverCase(sim.primaryUrl, testSecret, '7', { timestampMs: at });
  t.same(ok, { status: 200, json: { ok: true, duplicate: false, districtCaseNo: 'QP20260601000001' } }, 'numbered by the China date');

  const bad = [
    await deliverCase(sim.primaryUrl, testSecret, '8', { timestampMs: at, tamper: (s) => s.replace('积水 8', '积水 9') }),
    await deliverCase(sim.primaryUrl, 'another-secret', '8', { timestampMs: at }),
    await deliverCase(sim.primaryUrl, testSecret, '8', { timestampMs: at - 6 * 60_000 }),
    await deliverCase(sim.primaryUrl, testSecret, '8', { timestampMs: at + 6 * 60_000 }),
    await deliverCase(sim.primaryUrl, null as unknown as string, '8', { timestampMs: at, secret: null }),
    await deliverCase(sim.primaryUrl, testSecret, '8', { timestampMs: at, headers: { 'x-cityops-timestamp': 'soon' } }),
  ];
  for (const [i, r] of bad.entries()) {
    t.equal(r.status, 401, `refusal ${i}`);
    t.match(r.json, { ok: false, code: 'signature', error: /X-CityOps-Signature does not match/ });
  }
  const s = sim.stats();
  t.equal(s.rejected.signature, bad.length);
  t.equal(s.unique, 1);
  t.equal(s.received, 1 + bad.length);
  t.same(sim.deliveries().map((d) => d.caseId), ['7'], 'nothing refused was stored');
});

t.test('the tolerance is an option (a fake clock far from real time)', async (t) => {
  const sim = await testSimulator(t, { clock: new FakeClock(Date.UTC(2026, 0, 1)), toleranceMs: 400 * 24 * 3600_000 });
  t.equal((await deliverCase(sim.primaryUrl, testSecret, '1', { timestampMs: Date.UTC(2026, 5, 1) })).status, 200);
});

t.test('a repeated key is acknowledged as a duplicate with the same number, on either link', async (t) => {
  const sim = await testSimulator(t);
  const first = await deliverCase(sim.primaryUrl, testSecret, '42');
  const again = await deliverCase(sim.primaryUrl, testSecret, '42');
  const viaBackup = await deliverCase(sim.backupUrl, testSecret, '42');
  t.same(first.json, { ok: true, duplicate: false, districtCaseNo: first.json.districtCaseNo });
  t.match(first.json.districtCaseNo, /^QP\d{8}000001$/);
  for (const r of [again, viaBackup]) t.same(r, { status: 200, json: { ok: true, duplicate: true, districtCaseNo: first.json.districtCaseNo } });
  const second = await deliverCase(sim.backupUrl, testSecret, '43');
  t.match(second.json.districtCaseNo, /000002$/);

  const s = sim.stats();
  t.same({ received: s.received, unique: s.unique, duplicates: s.duplicates, byEndpoint: s.byEndpoint, byKind: s.byKind }, {
    received: 4, unique: 2, duplicates: 2, byEndpoint: { primary: 2, backup: 2 }, byKind: { case: 2 },
  });
  const [d42] = sim.deliveries({ caseId: '42' });
  t.equal(d42?.repeats, 2);
  t.equal(d42?.endpoint, 'primary');
  t.same(sim.deliveries({ endpoint: 'backup' }).map((d) => d.caseId), ['43']);
});

t.test('the same case under a new key keeps its district number', async (t) => {
  const sim = await testSimulator(t);
  const a = await deliverCase(sim.primaryUrl, testSecret, '5');
  const b = await deliver(sim.primaryUrl, { path: '/cases', body: caseMessage('5', 'case:5:resent'), key: 'case:5:resent', secret: testSecret });
  t.same(b.json, { ok: true, duplicate: false, districtCaseNo: a.json.districtCaseNo });
  t.equal(sim.stats().unique, 2);
});

const capInput: CapInput = {
  warning: {
    id: '42', fingerprint: 'wl/wl-1', ruleId: 'waterlogging', ruleVersion: 1, subject: { type: 'device', id: 'wl-1' },
    deviceId: 'wl-1', kind: 'waterlogging', blockCode: '31011500100200301', category: 'rainstorm', grade: 'orange', peakGrade: 'orange',
    state: 'active', raisedAt: '2024-07-01T00:30:00.000Z', updatedAt: '2024-07-01T00:30:00.000Z', clearedAt: null, acknowledgedAt: null,
    acknowledgedBy: null, silenced: false, stormId: null, exercise: true, metric: 'depth_cm', value: 42, valueState: null,
    reason: 'depth_cm 42 ≥ 40 (orange)', caseRequestedAt: null, pictureRequestedAt: null, data: {},
  },
  transition: { from: null, to: 'orange', at: '2024-07-01T00:30:00.000Z', reason: 'depth_cm 42 ≥ 40 (orange)' },
  sequence: 1,
  title: '道路积水',
};

t.test('every delivery kind is stored with what identifies it', async (t) => {
  const sim = await testSimulator(t);
  const no = (await deliverCase(sim.primaryUrl, testSecret, '9')).json.districtCaseNo;
  const report = await deliver(sim.primaryUrl, {
    path: '/cases/9/reports', key: 'case:9:report:1', kind: 'case_report', secret: testSecret,
    body: { kind: 'case_report', key: 'case:9:report:1', caseId: '9', version: 1, report: { what: '道路积水' } },
  });
  t.same(report.json, { ok: true, duplicate: false, districtCaseNo: no }, 'a report answers with its case number');

  const json = await deliver(sim.primaryUrl, {
    path: '/warnings', key: 'warning:42:100', kind: 'warning', secret: testSecret,
    body: { kind: 'warning', key: 'warning:42:100', event: 'raised', warning: capInput.warning, transition: capInput.transition },
  });
  t.same(json.json, { ok: true, duplicate: false });
  const capXml = warningToCap(capInput, { sender: 'cityops@town.example', agencyCode: '41600', senderName: '某镇城运中心' });
  const cap = await deliver(sim.primaryUrl, { path: '/warnings', key: 'warning:42:101', kind: 'warning', contentType: 'application/cap+xml', body: capXml, secret: testSecret });
  t.same(cap.json, { ok: true, duplicate: false });

  const jpeg = tinyJpeg(7);
  const picture = await deliver(sim.primaryUrl, {
    path: '/cases/9/pictures', key: 'case:9:picture:cam-1:1', kind: 'picture', body: jpeg, secret: testSecret,
    headers: { 'x-cityops-camera-id': 'cam-1', 'x-cityops-captured-at': '2026-01-01T08:00:00+08:00' },
  });
  t.same(picture.json, { ok: true, duplicate: false, districtCaseNo: no });

  const shared = await deliver(sim.backupUrl, {
    path: '/shared/devices', key: 'share:devices:0', kind: 'shared', secret: testSecret,
    body: { kind: 'shared', key: 'share:devices:0', dataset: 'devices', at: '2026-01-01T08:00:00+08:00', data: { total: 3 } },
  });
  t.same(shared.json, { ok: true, duplicate: false });

  t.same(sim.stats().byKind, { case: 1, case_report: 1, warning: 2, picture: 1, shared: 1 });
  t.same(sim.deliveries({ caseId: '9' }).map((d) => d.kind), ['case', 'case_report', 'picture']);
  const [w, c] = sim.deliveries({ kind: 'warning' });
  t.match(w, { format: 'json', warningId: '42', cap: null, body: { event: 'raised' } });
  t.match(c, { format: 'cap', warningId: '31011541600_20240701083000_1', cap: { identifier: '31011541600_20240701083000_1', msgType: 'Alert', status: 'Exercise', references: null } });
  t.equal(c?.body, capXml, 'CAP kept as the XML text');
  const [p] = sim.deliveries({ kind: 'picture' });
  t.match(p?.picture, { cameraId: 'cam-1', capturedAt: '2026-01-01T08:00:00+08:00', bytes: jpeg.length });
  t.ok(Buffer.isBuffer(p?.body) && p.body.equals(jpeg), 'the JPEG bytes are kept');
  t.match(sim.deliveries({ kind: 'shared' })[0], { endpoint: 'backup', body: { dataset: 'devices', data: { total: 3 } } });
});

t.test('a picture is signed over its bytes: one changed byte is refused', async (t) => {
  const sim = await testSimulator(t);
  const headers = { 'x-cityops-camera-id': 'cam-1', 'x-cityops-captured-at': '2026-01-01T08:00:00+08:00' };
  const jpeg = tinyJpeg(1);
  const ts = String(Math.floor(Date.now() / 1000));
  const { signBytes } = await import('./verify.js');
  const signature = signBytes(testSecret, ts, jpeg);
  const changed = Buffer.from(jpeg);
  changed[10] = 2;
  const res = await fetch(`${sim.primaryUrl}/cases/1/pictures`, {
    method: 'POST', body: new Uint8Array(changed),
    headers: { ...headers, 'content-type': 'image/jpeg', 'idempotency-key': 'p1', 'x-cityops-timestamp': ts, 'x-cityops-signature': signature },
  });
  t.equal(res.status, 401);
  t.equal(sim.stats().rejected.signature, 1);
});

t.test('refusals name the problem and store nothing', async (t) => {
  const sim = await testSimulator(t, { maxBodyBytes: 2048 });
  const cases: [string, Promise<{ status: number; json: Record<string, unknown> }>, number, RegExp][] = [
    ['unknown path', deliver(sim.primaryUrl, { path: '/nowhere', body: {}, key: 'k', secret: testSecret }), 404, /no such district endpoint: POST \/nowhere/],
    ['wrong media type', deliver(sim.primaryUrl, { path: '/cases', body: caseMessage('1'), key: 'case:1:opened', contentType: 'text/plain', secret: testSecret }), 415, /text\/plain is not accepted here: send application\/json/],
    ['no idempotency key', deliver(sim.primaryUrl, { path: '/cases', body: caseMessage('1'), secret: testSecret }), 400, /Idempotency-Key header is required/],
    ['kind header differs', deliver(sim.primaryUrl, { path: '/cases', body: caseMessage('1'), key: 'case:1:opened', kind: 'warning', secret: testSecret }), 400, /X-CityOps-Kind warning does not match the path \(case\)/],
    ['body without a case', deliver(sim.primaryUrl, { path: '/cases', body: { kind: 'case', key: 'k', sentAt: 'x' }, key: 'k', secret: testSecret }), 400, /case body is invalid at \/case/],
    ['body key differs', deliver(sim.primaryUrl, { path: '/cases', body: caseMessage('1'), key: 'other', secret: testSecret }), 400, /body key case:1:opened differs from the Idempotency-Key other/],
    ['not JSON', deliver(sim.primaryUrl, { path: '/cases', body: '{nope', key: 'k', secret: testSecret }), 400, /body is not JSON/],
    ['report of another case', deliver(sim.primaryUrl, { path: '/cases/2/reports', body: { kind: 'case_report', key: 'r', caseId: '1', version: 1, report: {} }, key: 'r', secret: testSecret }), 400, /report of case 1 posted to case 2/],
    ['unknown dataset', deliver(sim.primaryUrl, { path: '/shared/people', body: { kind: 'shared', key: 's', dataset: 'people', at: 'x', data: {} }, key: 's', secret: testSecret }), 400, /shared body is invalid at \/dataset/],
    ['CAP not XML', deliver(sim.primaryUrl, { path: '/warnings', body: '<alert', contentType: 'application/cap+xml', key: 'c', secret: testSecret }), 400, /CAP body is not well-formed XML/],
    ['CAP without identifier', deliver(sim.primaryUrl, { path: '/warnings', body: '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><sender>x</sender></alert>', contentType: 'application/cap+xml', key: 'c', secret: testSecret }), 400, /CAP alert lacks <identifier>/],
    ['picture without camera', deliver(sim.primaryUrl, { path: '/cases/1/pictures', body: tinyJpeg(), key: 'p', secret: testSecret }), 400, /X-CityOps-Camera-Id header is required/],
    ['picture not a JPEG', deliver(sim.primaryUrl, { path: '/cases/1/pictures', body: Buffer.from('GIF89a......'), key: 'p', secret: testSecret, headers: { 'x-cityops-camera-id': 'c', 'x-cityops-captured-at': '2026-01-01T00:00:00Z' } }), 400, /not a JPEG/],
    ['body too large', deliver(sim.primaryUrl, { path: '/cases', body: { ...caseMessage('1'), pad: 'x'.repeat(4000) }, key: 'case:1:opened', secret: testSecret }), 413, /body over 2048 bytes/],
  ];
  for (const [what, answer, status, message] of cases) {
    const r = await answer;
    t.equal(r.status, status, what);
    t.equal(r.json.ok, false, what);
    t.match(r.json.error, message, what);
  }
  const s = sim.stats();
  t.equal(s.rejected.other, cases.length);
  t.equal(s.unique, 0);
  t.equal(s.rejected.signature, 0);
  const get = await fetch(`${sim.primaryUrl}/cases`);
  t.equal(get.status, 404, 'a GET of a delivery path is not found either');
});

t.test('health answers on both links', async (t) => {
  const sim = await testSimulator(t);
  for (const [url, endpoint] of [[sim.primaryUrl, 'primary'], [sim.backupUrl, 'backup']] as const) {
    const res = await fetch(`${url}/health`);
    t.equal(res.status, 200);
    t.same(await res.json(), { ok: true, endpoint, mode: 'up' });
  }
  t.equal(sim.stats().received, 0, 'probes are not deliveries');
});

t.test('keepBodies: false stores what identifies a delivery, not its body', async (t) => {
  const sim = await testSimulator(t, { keepBodies: false });
  await deliverCase(sim.primaryUrl, testSecret, '3');
  t.match(sim.deliveries(), [{ caseId: '3', kind: 'case', key: 'case:3:opened', body: null }]);
});

t.test('strict: JSON bodies must match the documented message schemas', async (t) => {
  const sim = await testSimulator(t, { strict: true });
  t.equal((await deliverCase(sim.primaryUrl, testSecret, '1')).status, 200, 'a message as the forwarder builds it');
  const { case: view, ...rest } = caseMessage('2') as { case: Record<string, unknown> };
  const loose = await deliver(sim.primaryUrl, { path: '/cases', body: { ...rest, case: { ...view, colour: 'red' } }, key: 'case:2:opened', secret: testSecret });
  t.match(loose, { status: 400, json: { code: 'off_contract', error: /case body does not match the documented message schema at \/case\/colour/ } });
  const lax = await testSimulator(t);
  t.equal((await deliver(lax.primaryUrl, { path: '/cases', body: { ...rest, case: { id: '2' } }, key: 'case:2:opened', secret: testSecret })).status, 200, 'not strict: only what it reads');
});

/** The control listener drives the same simulator over HTTP (for a simulator in another process). */
import t from 'tap';
import { deliver, deliverCase, testSecret, testSimulator, tinyJpeg } from './test-support.js';

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

t.test('stats, deliveries with filters, mode changes and reset', async (t) => {
  const sim = await testSimulator(t);
  const c = sim.controlUrl;
  await deliverCase(sim.primaryUrl, testSecret, '1');
  await deliverCase(sim.backupUrl, testSecret, '2');
  await deliverCase(sim.backupUrl, testSecret, '2');
  await deliver(sim.primaryUrl, {
    path: '/cases/1/pictures', key: 'pic-1', body: tinyJpeg(), secret: testSecret,
    headers: { 'x-cityops-camera-id': 'cam-9', 'x-cityops-captured-at': '2026-01-01T00:00:00Z' },
  });

  t.same(await call(c, 'GET', '/health'), { status: 200, json: { ok: true } });
  const stats = await call(c, 'GET', '/stats');
  t.match(stats.json, {
    stats: { received: 4, unique: 3, duplicates: 1, byKind: { case: 2, picture: 1 }, byEndpoint: { primary: 2, backup: 2 } },
    modes: { primary: { type: 'up' }, backup: { type: 'up' } }, primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl,
  });
  const all = (await call(c, 'GET', '/deliveries')).json.deliveries as Record<string, unknown>[];
  t.equal(all.length, 3);
  const byCase = (await call(c, 'GET', '/deliveries?caseId=1')).json.deliveries as Record<string, unknown>[];
  t.same(byCase.map((d) => d.kind), ['case', 'picture']);
  t.match(byCase[1], { body: null, picture: { cameraId: 'cam-9', bytes: tinyJpeg().length } }, 'picture bytes left out');
  const cases = (await call(c, 'GET', '/deliveries?kind=case&endpoint=backup')).json.deliveries as Record<string, unknown>[];
  t.match(cases, [{ caseId: '2', repeats: 1, body: { kind: 'case', case: { id: '2' } } }]);
  t.match(await call(c, 'GET', '/deliveries?colour=red'), { status: 400, json: { ok: false, error: /query is invalid at \/colour/ } });

  t.match(await call(c, 'POST', '/mode', { endpoint: 'primary', mode: { type: 'status', status: 502 } }), {
    status: 200, json: { ok: true, modes: { primary: { type: 'status', status: 502 }, backup: { type: 'up' } } },
  });
  t.equal((await deliverCase(sim.primaryUrl, testSecret, '3')).status, 502);
  t.match(await call(c, 'POST', '/mode', { endpoint: 'both', mode: { type: 'down' } }), { status: 200 });
  t.same(sim.modes(), { primary: { type: 'down' }, backup: { type: 'down' } });
  t.match(await call(c, 'POST', '/mode', { endpoint: 'primary', mode: { type: 'sideways' } }), { status: 400, json: { error: /mode body is invalid/ } });
  t.match(await call(c, 'POST', '/mode', { endpoint: 'tertiary', mode: { type: 'up' } }), { status: 400, json: { error: /mode body is invalid at \/endpoint/ } });
  t.match(await call(c, 'POST', '/mode', { endpoint: 'primary', mode: { type: 'flaky', percent: 150 } }), { status: 400 });

  t.same(await call(c, 'POST', '/reset'), { status: 200, json: { ok: true } });
  t.same(sim.modes(), { primary: { type: 'up' }, backup: { type: 'up' } }, 'reset brings the links up');
  t.match((await call(c, 'GET', '/stats')).json, { stats: { received: 0, unique: 0 } });
  t.match(await call(c, 'GET', '/nothing'), { status: 404, json: { error: 'no such control endpoint: GET /nothing' } });
});

t.test('feedback by hand and the feedback log', async (t) => {
  const sim = await testSimulator(t);
  const c = sim.controlUrl;
  const sent = await call(c, 'POST', '/feedback', { caseId: '1', action: 'suspended', note: 'x' });
  t.match(sent, { status: 200, json: { ok: false, feedback: { caseId: '1', action: 'suspended', state: 'failed', error: /not configured/ } } });
  t.match((await call(c, 'GET', '/feedback?caseId=1')).json, { feedback: [{ action: 'suspended' }] });
  t.same((await call(c, 'GET', '/feedback?caseId=2')).json, { feedback: [] });
  t.match(await call(c, 'POST', '/feedback', { caseId: '1', action: 'teleported' }), { status: 400, json: { error: /feedback body is invalid at \/action/ } });
  const res = await fetch(`${c}/feedback`, { method: 'POST', body: '{' });
  t.equal(res.status, 400);
});

import t, { type Test } from 'tap';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { FakeClock } from '../core/clock.js';
import { ConfigSchema, type Config } from '../config/schema.js';
import { validate } from '../core/schema.js';
import { GatewayError } from '../core/errors.js';
import { verifySignature } from '../outbox/signature.js';
import { startReceiver, waitFor } from '../outbox/test-support.js';
import type { Outbox, OutboxMessage } from '../outbox/types.js';
import { caseMessage, testSecret, testSimulator } from '../../simulators/district/test-support.js';
import { createDistrictLink, districtMaxAge, type DistrictLinkOptions, type DistrictLinkWithChannel } from './link.js';
import { casePayload, warningPayload, type CaseMessage } from './messages.js';
import type { DistrictPayload } from './types.js';

const signal = new AbortController().signal;

function districtConfig(overrides: Partial<Config['district']>): Config['district'] {
  const base = validate(ConfigSchema, {}, { what: 'test configuration' }).district;
  return { ...base, secret: testSecret, timeoutMs: 1000, probeMs: 1000, ...overrides };
}

function message(payload: DistrictPayload, key: string, id = '1'): OutboxMessage {
  return { id, channel: 'district', key, payload, orderKey: null, subject: payload.caseId !== undefined ? { type: 'case', id: payload.caseId } : null, attempts: 0, createdAtMs: 0, state: 'pending' };
}

function caseMsg(caseId: string): OutboxMessage {
  return message(casePayload(caseMessage(caseId) as CaseMessage), `case:${caseId}:opened`, caseId);
}

/** Registers nothing but says whether attach() did. */
function fakeOutbox(): Outbox & { registered: string[] } {
  const registered: string[] = [];
  return {
    registered,
    enqueue: () => Promise.reject(new Error('not used')),
    register: (c) => void registered.push(c.name),
    hasChannel: (n) => registered.includes(n),
    poke: () => undefined,
    start: () => undefined,
    stop: () => Promise.resolve(),
  };
}

interface LinkSetup {
  link: DistrictLinkWithChannel;
  clock: FakeClock;
  registry: Registry;
  accepted: Array<{ caseId: string; atMs: number; districtCaseNo: string | null }>;
  logs: string[];
}

function makeLink(t: Test, config: Config['district'], clock = new FakeClock(), extra: Partial<DistrictLinkOptions> = {}): LinkSetup {
  const registry = new Registry();
  const accepted: LinkSetup['accepted'] = [];
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const link = createDistrictLink({ config, clock, logger, metrics: { registry }, onCaseAccepted: (caseId, atMs, districtCaseNo) => void accepted.push({ caseId, atMs, districtCaseNo }), ...extra });
  link.attach(fakeOutbox());
  t.teardown(() => link.stop());
  return { link, clock, registry, accepted, logs };
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

t.test('the primary takes deliveries; when it goes down the same attempt goes to the backup, and traffic returns once a probe succeeds', async (t) => {
  const clock = new FakeClock();
  const sim = await testSimulator(t, { clock });
  const { link, registry, accepted } = makeLink(t, districtConfig({ primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl }), clock);

  const first = await link.channel.deliver(caseMsg('1'), signal);
  t.match(first, { ok: true, status: 200, endpoint: 'primary', receipt: { ok: true, duplicate: false, districtCaseNo: String } });
  t.equal(link.status().active, 'primary');
  t.equal(sim.deliveries({ caseId: '1' })[0]?.endpoint, 'primary');

  await sim.setMode('primary', { type: 'down' });
  const second = await link.channel.deliver(caseMsg('2'), signal);
  t.match(second, { ok: true, endpoint: 'backup' }, 'no failed attempt: the backup took it at once');
  t.equal(sim.deliveries({ caseId: '2' })[0]?.endpoint, 'backup');
  const down = link.status();
  t.match(down, { active: 'backup', switchReason: /primary unavailable: .*ECONNREFUSED/ });
  t.match(down.endpoints, [{ name: 'primary', healthy: false, consecutiveFailures: 1, lastError: /ECONNREFUSED/ }, { name: 'backup', healthy: true }]);
  t.match(await link.channel.deliver(caseMsg('3'), signal), { ok: true, endpoint: 'backup' }, 'while the primary is down, straight to the backup');
  t.equal(sim.stats().byEndpoint.primary, 1);

  // Probes go on while it is down; the first that succeeds brings traffic back.
  clock.advance(1000);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(link.status().active, 'backup', 'a probe of a port that does not listen fails');
  await sim.setMode('primary', { type: 'up' });
  clock.advance(1000);
  await waitFor('the primary to be taken back', () => link.status().active === 'primary');
  t.match(link.status(), { switchReason: 'primary answers its health check again' });
  t.match(await link.channel.deliver(caseMsg('4'), signal), { ok: true, endpoint: 'primary' });

  t.equal(await metric(registry, 'cityops_district_switches_total', { to: 'backup' }), 1);
  t.equal(await metric(registry, 'cityops_district_switches_total', { to: 'primary' }), 1);
  t.equal(await metric(registry, 'cityops_district_deliveries_total', { endpoint: 'primary', result: 'unavailable' }), 1);
  t.equal(await metric(registry, 'cityops_district_deliveries_total', { endpoint: 'backup', result: 'delivered' }), 2);
  t.equal(await metric(registry, 'cityops_district_active_endpoint', { endpoint: 'primary' }), 1);
  t.equal(await metric(registry, 'cityops_district_endpoint_up', { endpoint: 'primary' }), 1);
  await new Promise((r) => setImmediate(r));
  t.same(accepted.map((a) => a.caseId), ['1', '2', '3', '4'], 'each accepted case is reported');
  t.match(accepted[0], { atMs: clock.now() - 2000, districtCaseNo: sim.deliveries({ caseId: '1' })[0]?.districtCaseNo ?? 'missing' });
});

t.test('a 5xx or a timeout from the primary fails over as well', async (t) => {
  const clock = new FakeClock();
  const sim = await testSimulator(t, { clock });
  const { link } = makeLink(t, districtConfig({ primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl, timeoutMs: 200 }), clock);

  await sim.setMode('primary', { type: 'status', status: 503 });
  t.match(await link.channel.deliver(caseMsg('1'), signal), { ok: true, endpoint: 'backup' });
  t.match(link.status(), { active: 'backup', switchReason: /primary unavailable: HTTP 503/ });

  await sim.setMode('primary', { type: 'slow', delayMs: 5000 });
  clock.advance(1000);
  // The health check itself is slow: it times out (200 ms), so the primary stays down.
  await new Promise((r) => setTimeout(r, 600));
  t.equal(link.status().active, 'backup', 'a primary slower than timeoutMs is not taken back');
  await sim.setMode('primary', { type: 'up' });
  clock.advance(1000);
  await waitFor('the primary back', () => link.status().active === 'primary');
  await sim.setMode('primary', { type: 'slow', delayMs: 5000 });
  const t0 = Date.now();
  t.match(await link.channel.deliver(caseMsg('2'), signal), { ok: true, endpoint: 'backup' });
  t.ok(Date.now() - t0 < 4000, 'the timeout bounds the detection');
  t.match(link.status(), { active: 'backup', switchReason: /primary unavailable: no answer within 200 ms/ });
});

t.test('a 404 and a 200 {ok:false} are failures, retried, and do not switch endpoints', async (t) => {
  const clock = new FakeClock();
  const sim = await testSimulator(t, { clock });
  const { link, accepted } = makeLink(t, districtConfig({ primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl }), clock);

  await sim.setMode('primary', { type: 'status', status: 404 });
  t.match(await link.channel.deliver(caseMsg('1'), signal), { ok: false, retryable: true, status: 404, endpoint: 'primary', error: /^primary: HTTP 404/ });
  await sim.setMode('primary', { type: 'refuse' });
  t.match(await link.channel.deliver(caseMsg('1'), signal), { ok: false, retryable: true, status: 200, endpoint: 'primary', error: /HTTP 200 but the district refused: the district platform refuses deliveries/ });
  await sim.setMode('primary', { type: 'status', status: 400 });
  t.match(await link.channel.deliver(caseMsg('1'), signal), { ok: false, retryable: true, status: 400 }, 'every 4xx is retried: an accepted case is never dropped');
  t.equal(sim.stats().byEndpoint.backup, 0, 'the backup was not asked: the district answered');
  t.match(link.status(), { active: 'primary', endpoints: [{ name: 'primary', healthy: true, consecutiveFailures: 3 }, { healthy: true }] });
  t.same(accepted, [], 'nothing reported');
});

t.test('both down: the attempt fails naming both; probes bring them back', async (t) => {
  const clock = new FakeClock();
  const sim = await testSimulator(t, { clock });
  const { link } = makeLink(t, districtConfig({ primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl }), clock);
  await sim.setMode('both', { type: 'down' });
  const r = await link.channel.deliver(caseMsg('1'), signal);
  t.match(r, { ok: false, retryable: true, endpoint: 'backup', error: /^primary: .*ECONNREFUSED.*; backup: .*ECONNREFUSED/ });
  t.match(link.status(), { active: 'primary', endpoints: [{ healthy: false }, { healthy: false }] });
  t.match(await link.channel.deliver(caseMsg('1'), signal), { ok: false, error: /^primary: .*; backup: / }, 'both are still tried');
  await sim.setMode('backup', { type: 'up' });
  clock.advance(1000);
  await waitFor('the backup back', () => link.status().active === 'backup');
  t.match(await link.channel.deliver(caseMsg('1'), signal), { ok: true, endpoint: 'backup' });
  await sim.setMode('primary', { type: 'up' });
  clock.advance(1000);
  await waitFor('the primary back', () => link.status().active === 'primary');
  t.equal(sim.stats().unique, 1);
});

t.test('what goes on the wire: path, media type, idempotency key, kind and a signature over the exact body', async (t) => {
  const clock = new FakeClock(Date.UTC(2026, 5, 1));
  const rx = await startReceiver(t, () => ({ status: 200, body: { ok: true } }));
  const base = rx.url.replace(/\/hook$/, '/district/api');
  const { link } = makeLink(t, districtConfig({ primaryUrl: `${base}/` }), clock);
  const cap = '<?xml version="1.0" encoding="UTF-8"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>';
  t.match(await link.channel.deliver(message(warningPayload(cap), 'warning:7:99'), signal), { ok: true, endpoint: 'primary' });
  t.match(await link.channel.deliver(caseMsg('5'), signal), { ok: true });
  const [xml, json] = rx.received;
  if (!xml || !json) throw new Error('nothing received');
  t.equal(xml.path, '/district/api/warnings', 'the path goes after the base URL');
  t.equal(json.path, '/district/api/cases');
  t.equal(xml.body, cap, 'CAP goes as the XML text');
  t.match(xml.headers, { 'content-type': 'application/cap+xml', 'idempotency-key': 'warning:7:99', 'x-cityops-kind': 'warning', 'x-cityops-timestamp': String(clock.now() / 1000) });
  t.match(json.headers, { 'content-type': 'application/json', 'idempotency-key': 'case:5:opened', 'x-cityops-kind': 'case' });
  t.same(json.json, caseMessage('5'));
  for (const r of [xml, json]) {
    t.ok(verifySignature({ secret: testSecret, body: r.body, nowMs: clock.now(), timestamp: r.headers['x-cityops-timestamp'] as string, signature: r.headers['x-cityops-signature'] as string }), 'the signature verifies');
  }
});

t.test('the simulator verifies our signatures; a wrong secret is refused there and retried here', async (t) => {
  const clock = new FakeClock();
  const sim = await testSimulator(t, { clock });
  const good = makeLink(t, districtConfig({ primaryUrl: sim.primaryUrl }), clock);
  t.match(await good.link.channel.deliver(caseMsg('1'), signal), { ok: true });
  const bad = makeLink(t, districtConfig({ primaryUrl: sim.primaryUrl, secret: 'not-the-district-secret' }), clock);
  t.match(await bad.link.channel.deliver(caseMsg('2'), signal), { ok: false, retryable: true, status: 401 });
  t.match(sim.stats(), { unique: 1, rejected: { signature: 1 } });
});

t.test('configuration: credentials never shown or logged, bad URLs named, nothing registered without a primary', async (t) => {
  const clock = new FakeClock();
  const sim = await testSimulator(t, { clock });
  const withAuth = sim.primaryUrl.replace('http://', 'http://town:s3cr3t-pw@');
  const { link, logs } = makeLink(t, districtConfig({ primaryUrl: withAuth, backupUrl: `${sim.backupUrl}/` }), clock);
  await sim.setMode('primary', { type: 'down' });
  t.match(await link.channel.deliver(caseMsg('1'), signal), { ok: true, endpoint: 'backup' });
  const status = link.status();
  t.same(status.endpoints.map((e) => e.url), [sim.primaryUrl, sim.backupUrl]);
  const text = logs.join('\n') + JSON.stringify(status);
  t.notMatch(text, /s3cr3t-pw/, 'no URL password in logs or status');
  t.notMatch(text, new RegExp(testSecret), 'no secret either');
  t.match(text, /district traffic switched to another endpoint/);

  t.throws(() => createDistrictLink({ config: districtConfig({ primaryUrl: 'ftp://district/' }), clock, logger: pino({ level: 'silent' }) }), GatewayError);
  t.throws(() => createDistrictLink({ config: districtConfig({ primaryUrl: sim.primaryUrl, backupUrl: 'not a url' }), clock, logger: pino({ level: 'silent' }) }), { code: 'GW_ERR_BAD_CONFIG', details: [{ field: 'district/backupUrl' }] });

  const outbox = fakeOutbox();
  const none = createDistrictLink({ config: districtConfig({ primaryUrl: '' }), clock, logger: pino({ level: 'silent' }) });
  none.attach(outbox);
  t.same(outbox.registered, [], 'no primary: messages wait in the outbox');
  t.match(none.status(), { configured: false, active: null, endpoints: [] });
  await none.stop();
});

t.test('district messages live at least a day', async (t) => {
  t.equal(districtMaxAge({ maxAgeMs: 7 * 86_400_000 }), 7 * 86_400_000);
  t.equal(districtMaxAge({ maxAgeMs: 3_600_000 }), 86_400_000);
});

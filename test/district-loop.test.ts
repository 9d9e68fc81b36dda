/**
 * The whole loop through the real stack (issue 5): the simulated town's rainstorm → a red
 * warning → a case opened in the same transaction → forwarded to the simulated district (signed,
 * over real HTTP) → the district's signed feedback moves it through dispatch, sign, arrival,
 * handling, verification and closure → the case file shows every step. A ScaledClock plays the
 * scenario 60 times faster; gateway, town and district share it.
 */
import t from 'tap';
import { pino } from 'pino';
import { ScaledClock } from '../gateway/core/clock.js';
import { startTown } from '../simulators/sensors/town.js';
import { startDistrictSimulator } from '../simulators/district/index.js';
import { stopSharedPostgres } from './helpers/postgres.js';
import { pgGateway } from './helpers/gateway.js';

t.teardown(stopSharedPostgres);

const minute = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secret = 'district-link-key-0123456789';
const feedbackSecret = 'district-feedback-key-0123456789';
const unit = { id: 'drainage-1', tier: 1 as const, name: '排水所' };

interface CaseBody {
  id: string;
  status: string;
  source: string;
  warningId: string | null;
  districtCaseNo: string | null;
  times: Record<string, string | null>;
}

t.test('rainstorm → red warning → case → district → feedback → closed, all in the case file', async (t) => {
  const clock = new ScaledClock(60);
  const sim = await startDistrictSimulator({ secret, clock, strict: true });
  t.teardown(() => sim.close());
  const gw = await pgGateway(t, {
    clock,
    overrides: { district: { primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl, secret, feedbackSecret, forwardMinGrade: 'orange' } },
  });
  t.equal((await gw.api('POST', '/duty/units', { body: { id: unit.id, name: unit.name, tier: unit.tier, contacts: [], blocks: [], kinds: [] } })).status, 201, 'a tier-1 unit to dispatch to');
  sim.setFeedback({
    gatewayUrl: gw.urls.http, secret: feedbackSecret, unit,
    acceptAfterMs: minute, dispatchAfterMs: minute, signAfterMs: 2 * minute, arriveAfterMs: 5 * minute,
    handleAfterMs: 5 * minute, verifyAfterMs: 2 * minute, closeAfterMs: 2 * minute,
  });

  const town = await startTown({
    httpUrl: gw.urls.http, mqttUrl: gw.urls.mqtt, adminToken: gw.adminToken, devicesPerKind: 1, intervalMs: 30_000,
    scenario: 'rainstorm', logger: pino({ level: 'silent' }), clock, scenarioOffsetMs: 3 * minute,
  });
  t.teardown(() => town.stop());

  let found: CaseBody | undefined;
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    const list = await gw.api('GET', '/cases?limit=50');
    found = (list.body.cases as CaseBody[] | undefined)?.find((c) => c.source === 'warning');
    if (found?.status === 'closed') break;
    await sleep(500);
  }
  if (!found) throw new Error('no case was opened for the rainstorm warning');
  t.equal(found.status, 'closed', `the case was followed to closure (now ${found.status})`);
  t.match(found.districtCaseNo, /^QP\d+/, "the district's own case number is stored");

  const warning = await gw.api('GET', `/warnings/${found.warningId}`);
  t.equal(warning.body.warning.peakGrade, 'red', 'opened by the red waterlogging warning');

  const file = await gw.api('GET', `/cases/${found.id}/file`);
  t.equal(file.status, 200, 'the case file');
  const steps = (file.body.transitions as Array<{ to: string; actor: { type: string } }>).map((s) => s.to);
  t.same(steps, ['new', 'reported', 'dispatched', 'signed', 'arrived', 'handled', 'verified', 'closed'], `every step, in order (${steps.join(' → ')})`);
  const actors = (file.body.transitions as Array<{ to: string; actor: { type: string } }>).slice(1).map((s) => s.actor.type);
  t.ok(actors.every((a) => a === 'district'), 'every step after opening came from the district');
  t.equal(file.body.warning?.id, found.warningId, 'the warning is in the file');
  t.ok((file.body.warningTimeline as unknown[]).length > 0, 'with its timeline');
  const deliveries = file.body.deliveries.deliveries as Array<{ state: string; channel: string; about: string }>;
  t.ok(deliveries.some((d) => d.channel === 'district' && d.about === 'case' && d.state === 'delivered'), 'the delivery of the case to the district is in the file');
  t.ok((file.body.readings.rows as unknown[]).length > 0, 'the readings around the incident are in the file');
  const clocks = file.body.sla as Array<{ clock: string; metAt: string | null; breachedAt: string | null }>;
  t.same(clocks.map((c) => c.clock).sort(), ['arrive', 'first_report', 'sign', 'written_report'], 'the SLA clocks ran');
  for (const c of clocks.filter((x) => x.clock !== 'written_report')) t.ok(c.metAt !== null && c.breachedAt === null, `${c.clock}: met on time`);

  const html = await fetch(`${gw.urls.http}/api/v1/cases/${found.id}/file?format=html`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
  t.match(html.headers.get('content-type'), /text\/html/, 'and a printable page');

  const received = sim.deliveries({ caseId: found.id });
  t.equal(received.filter((d) => d.kind === 'case').length, 1, 'the district received the case once');
  t.equal(sim.stats().rejected.signature, 0, 'every delivery was correctly signed');
  const caps = sim.deliveries({ kind: 'warning' }).filter((d) => d.format === 'cap');
  t.ok(caps.length >= 2, `warnings went to the district as CAP 1.2 (${caps.length} messages)`);
  t.equal(sim.feedback({ caseId: found.id }).filter((f) => f.state !== 'ok').length, 0, 'every feedback was accepted');
});

import t from 'tap';
import { pino } from 'pino';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { ConfigSchema } from '../config/schema.js';
import { validate } from '../core/schema.js';
import { asAdmin, testApp } from '../http/test-support.js';
import { createOutbox } from '../outbox/outbox.js';
import { outboxRoutes } from '../outbox/routes.js';
import { outboxConfig, waitFor } from '../outbox/test-support.js';
import { caseMessage, testSecret, testSimulator } from '../../simulators/district/test-support.js';
import { createDistrictLink, districtMaxAge } from './link.js';
import { casePayload, type CaseMessage } from './messages.js';
import { districtChannelName } from './types.js';

t.teardown(stopSharedPostgres);
const logger = pino({ level: 'silent' });

interface AttemptJson {
  ok: boolean;
  status: number | null;
  error: string | null;
  endpoint: string | null;
}

t.test('through the outbox: the endpoint of every attempt is recorded and shown in the deliveries API; the case is reported once', async (t) => {
  const { app, db, clock } = await testApp(t, { areas: [{ prefix: '/deliveries', plugin: outboxRoutes() }] });
  const sim = await testSimulator(t, { clock });
  const district = { ...validate(ConfigSchema, {}, { what: 'test configuration' }).district, primaryUrl: sim.primaryUrl, backupUrl: sim.backupUrl, secret: testSecret, timeoutMs: 1000 };
  // A first retry 30 s out (60 s base, jitter pinned at half): only the link's expedite sends it sooner.
  const outbox = createOutbox({ db, clock, logger, config: outboxConfig({ backoffBaseMs: 60_000 }), random: () => 0.5 });
  const accepted: string[] = [];
  const link = createDistrictLink({ config: district, clock, logger, onCaseAccepted: (caseId) => void accepted.push(caseId) });
  link.attach(outbox);
  t.ok(outbox.hasChannel(districtChannelName));
  t.teardown(async () => {
    await outbox.stop();
    await link.stop();
  });

  const send = async (caseId: string) => {
    const { id } = await db.transaction((tx) => outbox.enqueue(tx, {
      channel: districtChannelName, key: `case:${caseId}:opened`, payload: casePayload(caseMessage(caseId) as CaseMessage),
      orderKey: `case:${caseId}`, maxAgeMs: districtMaxAge(district), subject: { type: 'case', id: caseId },
    }));
    outbox.poke();
    return id;
  };
  const state = async (id: string) => (await db.query<{ state: string }>('SELECT state FROM outbox WHERE id = $1', [id])).rows[0]?.state;
  const attempts = async (id: string) => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/deliveries/${id}`, headers: asAdmin });
    t.equal(r.statusCode, 200);
    return r.json<{ state: string; receipt: Record<string, unknown> | null; attemptLog: AttemptJson[] }>();
  };

  outbox.start();
  const first = await send('1');
  await waitFor('case 1 delivered', async () => (await state(first)) === 'delivered');
  t.match(await attempts(first), { state: 'delivered', receipt: { ok: true, districtCaseNo: String }, attemptLog: [{ ok: true, status: 200, endpoint: 'primary' }] });

  // Both down: the attempt fails (naming both); then the backup comes back and takes it.
  await sim.setMode('both', { type: 'down' });
  const second = await send('2');
  await waitFor('a failed attempt on case 2', async () => (await attempts(second)).attemptLog.length > 0);
  const retryAt = (await db.query<{ n: number }>('SELECT next_attempt_ms AS n FROM outbox WHERE id = $1', [second])).rows[0]?.n ?? 0;
  t.equal(retryAt - clock.now(), 30_000, 'backing off for 30 s');
  await sim.setMode('backup', { type: 'up' });
  clock.advance(1000); // the probe finds the backup: back from a total outage, the backlog goes at once
  await waitFor('the backup taken back', () => link.status().active === 'backup');
  await waitFor('case 2 delivered', async () => (await state(second)) === 'delivered');
  t.ok(clock.now() < retryAt, 'before its backoff ended');
  const log = (await attempts(second)).attemptLog;
  t.match(log[0], { ok: false, status: null, endpoint: 'backup', error: /^primary: .*; backup: / });
  t.match(log[log.length - 1], { ok: true, endpoint: 'backup' });

  await waitFor('both cases reported', () => accepted.length === 2);
  t.same(accepted, ['1', '2']);
  t.same(sim.stats().byEndpoint, { primary: 1, backup: 1 });
  t.equal(sim.stats().duplicates, 0);
});

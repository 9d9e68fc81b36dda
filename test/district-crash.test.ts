/**
 * The gateway killed with SIGKILL while it forwards cases to the district, then started again:
 * every case the API accepted (201) reaches the district, and the district stores each once
 * (by idempotency key; a resend after the crash is acknowledged as a duplicate, not stored).
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase, stopSharedPostgres } from './helpers/postgres.js';
import { testEnv, tempDir, api } from './helpers/gateway.js';
import { kill9, startChildGateway, type ChildGateway } from './helpers/child-gateway.js';
import { startDistrictSimulator } from '../simulators/district/index.js';

t.teardown(stopSharedPostgres);

const secret = 'district-link-key-0123456789';

t.test('SIGKILL while forwarding cases, restart: no accepted case is lost, none stored twice', async (t) => {
  const sim = await startDistrictSimulator({ secret });
  t.teardown(() => sim.close());
  // Slow answers keep deliveries in flight when the kill comes.
  await sim.setMode('both', { type: 'slow', delayMs: 40 });
  const db = await freshDatabase();
  const dir = tempDir();
  // Messages the killed process had claimed wait out its lease before another worker takes them.
  const configFile = join(dir.dir, 'cityops.yaml');
  writeFileSync(configFile, 'outbox:\n  leaseMs: 3000\n');
  const env = {
    ...testEnv(dir.dir, db.url), CITYOPS_CONFIG: configFile,
    CITYOPS_DISTRICT_PRIMARY_URL: sim.primaryUrl, CITYOPS_DISTRICT_BACKUP_URL: sim.backupUrl, CITYOPS_DISTRICT_SECRET: secret,
  };
  let child: ChildGateway = await startChildGateway(env);
  t.teardown(async () => {
    await kill9(child);
    await db.drop();
    dir.remove();
  });

  const call = api(child.urls.http);
  const accepted = new Set<string>();
  let killed = false;
  const open = async (n: number) => {
    const res = await call('POST', '/cases', { body: { category: 'rainstorm', title: `积水 ${n}`, description: 'crash test', block: '310117006001' } }).catch(() => undefined);
    if (res?.status === 201) accepted.add(String(res.body.case.id));
  };
  // Ten at a time until the district has some and the kill comes mid-stream.
  let n = 0;
  while (!killed && n < 2000) {
    await Promise.all(Array.from({ length: 10 }, () => open(n++)));
    if (sim.stats().unique >= 40) {
      await kill9(child);
      killed = true;
    }
  }
  t.ok(killed, `killed after ${sim.stats().unique} deliveries, with ${accepted.size} cases accepted`);
  t.ok(accepted.size > sim.deliveries({ kind: 'case' }).length, 'some accepted cases were not yet delivered at the kill');

  await sim.setMode('both', { type: 'up' });
  child = await startChildGateway(env);
  const delivered = () => new Set(sim.deliveries({ kind: 'case' }).map((d) => String(d.caseId)));
  await sim.waitFor(() => [...accepted].every((id) => delivered().has(id)), 60_000).catch(() => undefined);
  const missing = [...accepted].filter((id) => !delivered().has(id));
  t.same(missing, [], 'every accepted case reached the district after the restart');
  const perCase = new Map<string, number>();
  for (const d of sim.deliveries({ kind: 'case' })) perCase.set(String(d.caseId), (perCase.get(String(d.caseId)) ?? 0) + 1);
  t.same([...perCase.values()].filter((c) => c > 1), [], 'the district stored each case once');
  t.equal(sim.stats().rejected.signature, 0, 'all signed');
  t.comment(`${accepted.size} cases, ${sim.stats().duplicates} resent after the crash and acknowledged as duplicates`);
});

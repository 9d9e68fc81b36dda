/** `cityops rules backtest` end to end: the real command against a real PostgreSQL. */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { FakeClock } from '../../gateway/core/clock.js';
import { adapterLookup } from '../../gateway/adapters/lookup.js';
import { DeviceRegistry } from '../../gateway/devices/registry.js';
import { testConfig } from '../../gateway/http/test-support.js';
import { databaseSink } from '../../gateway/ingest/sink.js';
import { RuleStore } from '../../gateway/rules/store.js';
import { depth, depthRule, T0, who } from '../../gateway/rules/testing.js';
import { migrate } from '../../gateway/storage/migrate.js';
import { openPg } from '../../gateway/storage/pg-driver.js';
import { freshDatabase, stopSharedPostgres } from '../../test/helpers/postgres.js';
import { cityops } from './test-support.js';

t.teardown(stopSharedPostgres);
const backtest = (args: string[], env: Record<string, string>) => cityops(['rules', 'backtest', ...args], env);

t.test('backtests a stored rule and a rule file against the configured database', async (t) => {
  const fresh = await freshDatabase();
  const logger = pino({ level: 'silent' });
  const db = await openPg({ url: fresh.url, poolSize: 2, logger });
  const dir = mkdtempSync(join(tmpdir(), 'cityops-bt-'));
  t.teardown(async () => {
    await db.close();
    await fresh.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrate(db, logger);
  const clock = new FakeClock(T0);
  const registry = await DeviceRegistry.open({ db, logger, clock, adapters: adapterLookup, devices: testConfig().devices });
  await registry.create({ id: 'wl-1', name: 'gauge', kind: 'waterlogging', adapter: 'waterlogging-json', location: { lon: 121.23, lat: 31.03, crs: 'wgs84' }, blockCode: '310117006-01-003-012', tags: [], exercise: false });
  await new RuleStore({ db, clock }).importSet({ rules: [depthRule({ id: 'wl-depth' })] }, who);
  await databaseSink(db).write([10, 30, 45, 55, 52, 20, 5, 4, 3].map((cm, i) => depth('wl-1', T0 + i * 60_000, cm)), []);
  const env = { DATABASE_URL: fresh.url, CITYOPS_DATA_DIR: dir, CITYOPS_LOG_LEVEL: 'warn' };
  const range = ['--from', new Date(T0).toISOString(), '--to', new Date(T0 + 3600_000).toISOString()];

  const stored = await backtest(['wl-depth', ...range], env);
  t.equal(stored.code, 0, stored.err);
  const [summary, ...json] = stored.out.split('\n');
  t.match(summary, /^1 warning \(peak: 1 red\); against the compared version: no difference$/);
  const result = JSON.parse(json.join('\n')) as { readings: number; candidate: { warnings: Array<{ peak: string }> } };
  t.equal(result.readings, 9);
  t.match(stored.err, /backtest: 9 readings of ~9/, 'progress on stderr');

  const file = join(dir, 'candidate.yaml');
  writeFileSync(file, JSON.stringify({ rules: [depthRule({ id: 'wl-depth', grades: { red: { for: '0s' } }, condition: { type: 'threshold', metric: 'depth_cm', direction: 'above', thresholds: { red: 40 } } })] }));
  const draft = await backtest([file, ...range, '--devices', 'wl-1'], env);
  t.equal(draft.code, 0, draft.err);
  t.match(draft.out.split('\n')[0], /^1 warning \(peak: 1 red\); against the compared version: no difference$/);

  const bad = await backtest(['wl-depth', '--from', 'yesterday'], env);
  t.equal(bad.code, 2);
  t.match(bad.err, /--from and --to/);
  const missing = await backtest(['no-such-rule', ...range], env);
  t.equal(missing.code, 1);
  t.match(missing.err, /neither a file nor a stored rule/);
});

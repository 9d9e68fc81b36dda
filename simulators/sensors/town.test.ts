/**
 * End to end: a real gateway (real PostgreSQL, real sockets on free ports), the simulated town
 * provisioned through its HTTP API and publishing over MQTT; then every device's readings are
 * checked through the API and in the database. Running the town a second time checks that
 * provisioning is idempotent (credentials rotated, nothing duplicated).
 */
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { getSensorAdapter } from '../../adapters/index.js';
import { ConfigSchema } from '../../gateway/config/schema.js';
import { validate } from '../../gateway/core/schema.js';
import { startGateway, type RunningGateway } from '../../gateway/service.js';
import { freshDatabase, stopSharedPostgres } from '../../test/helpers/postgres.js';
import { provisionTown } from './provision.js';
import { startTown, type Town } from './town.js';
import { simulatedAdapters } from './town-plan.js';

t.teardown(stopSharedPostgres);

interface DeviceView { id: string; kind: string; adapter: string; exercise: boolean; tags: string[]; blockCode: string; location: { lon: number; lat: number; input: { lon: number; lat: number; crs: string } } }
interface Latest { deviceId: string; status: string; readings: Array<{ metric: string; value: number | null; state: string | null }> }

// Errors (the gateway's own included) reach the test output; SIM_TEST_LOG=debug shows everything.
const logger = pino({ level: process.env.SIM_TEST_LOG ?? 'error' });

async function api<T>(gw: RunningGateway, path: string): Promise<T> {
  const res = await fetch(`${gw.urls.http}/api/v1${path}`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Polls until `check` returns true, for at most `ms` (bounded, so a broken pipeline fails rather than hangs). */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test('the simulated town reaches the gateway: every device, every kind, every payload format', async (t) => {
  const fresh = await freshDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'cityops-sim-'));
  const config = validate(ConfigSchema, {
    dataDir,
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
    database: { url: fresh.url },
  }, { what: 'test configuration' });
  const gw = await startGateway({ config, logger });
  let town: Town | undefined;
  t.teardown(async () => {
    await town?.stop();
    await gw.close();
    await fresh.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const kinds = simulatedAdapters().map((a) => a.kind);
  const start = () => startTown({
    httpUrl: gw.urls.http, mqttUrl: gw.urls.mqtt, adminToken: gw.adminToken,
    devicesPerKind: 2, intervalMs: 500, scenario: 'rainstorm', logger, seed: 7,
    scenarioOffsetMs: 14 * 60_000, // inside the storm: water on the roads
  });
  town = await start();
  t.equal(town.devices, 2 * kinds.length, 'two devices of each simulated kind');

  const { devices } = await api<{ devices: DeviceView[] }>(gw, '/devices?tag=simulated&limit=100');
  t.equal(devices.length, 2 * kinds.length, 'all provisioned through the API');
  t.ok(devices.every((d) => d.exercise && d.id.startsWith('sim-')), 'every simulated device is an exercise device');
  t.ok(devices.every((d) => d.blockCode.startsWith('310117006-')), 'block codes lie in the town');
  const gcj = devices.find((d) => d.location.input.crs === 'gcj02');
  t.ok(gcj && Math.abs(gcj.location.lon - gcj.location.input.lon) > 1e-4, 'a GCJ-02 location was converted to WGS-84');

  const latest = new Map<string, Latest>();
  const allReported = await eventually(async () => {
    for (const d of devices) latest.set(d.id, await api<Latest>(gw, `/devices/${d.id}/latest`));
    return [...latest.values()].every((l) => l.readings.length > 0);
  }, 20_000);
  t.ok(allReported, 'every device has latest readings');
  for (const d of devices) {
    const adapter = getSensorAdapter(d.adapter);
    const metrics = new Set(latest.get(d.id)?.readings.map((r) => r.metric));
    t.same([...metrics].sort(), adapter?.exposes.map((m) => m.name).sort(), `${d.id} (${d.adapter}) reported every metric its adapter exposes`);
    t.equal(latest.get(d.id)?.status, 'online', `${d.id} is online`);
  }

  const rows = await gw.db.query<{ kind: string; metric: string; n: number }>(
    `SELECT d.kind, r.metric, count(*)::int AS n FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.exercise GROUP BY d.kind, r.metric`,
  );
  const byKind = new Map<string, Set<string>>();
  for (const r of rows.rows) byKind.set(r.kind, (byKind.get(r.kind) ?? new Set()).add(r.metric));
  for (const kind of kinds) t.ok(byKind.get(kind)?.size, `readings rows stored for ${kind}`);
  t.ok(byKind.get('manhole_cover')?.has('cover_state') && byKind.get('manhole_cover')?.has('tilt_x_deg'), 'the binary CTV manhole frame was decoded and stored');
  t.ok(byKind.get('water_level')?.has('level_m') && byKind.get('water_level')?.has('rain_total_mm'), 'the SL 651 frames were decoded and stored');
  t.ok(byKind.get('electrical_fire')?.has('residual_current_ma'), 'the CTV electrical fire frame was decoded and stored');

  const flooded = latest.get('sim-waterlogging-0001')?.readings.find((r) => r.metric === 'depth_cm');
  t.ok((flooded?.value ?? 0) > 40, `site 0 of the rainstorm is flooded (${flooded?.value} cm)`);

  const dead = await api<{ items: Array<{ reason: string }> }>(gw, '/dead-letters?limit=10');
  t.same(dead.items.map((i) => i.reason), [], 'no simulated payload was rejected');

  const stats = town.stats();
  t.ok(stats.published > 0, `published ${stats.published}`);
  t.equal(stats.errors, 0, `no errors (${stats.lastError ?? 'none'})`);
  t.equal(stats.connected, town.devices, 'every device connected');
  await town.stop();
  const after = town.stats();
  t.equal(after.acknowledged, after.published, 'every QoS 1 publish was acknowledged before the clean disconnect');

  // A restart of the simulator finds its devices and rotates their credentials.
  town = await start();
  t.equal(town.devices, 2 * kinds.length, 'the same town again');
  const again = await api<{ devices: DeviceView[] }>(gw, '/devices?tag=simulated&limit=100');
  t.equal(again.devices.length, 2 * kinds.length, 'no device duplicated');
  const reconnected = await eventually(async () => town?.stats().connected === town?.devices, 10_000);
  t.ok(reconnected, 'every device connected with its rotated password');
  const published = town.stats().published;
  t.ok(await eventually(async () => (town?.stats().acknowledged ?? 0) > published, 5000), 'and publishes again');
  t.equal(town.stats().errors, 0, 'without errors');

  await t.rejects(provisionTown({ httpUrl: gw.urls.http, token: 'not-the-token', devicesPerKind: 1, intervalMs: 1000 }), { status: 401, message: /refused the token.*--token/ }, 'a wrong token is named as such');

  // A real device that happens to carry a simulator id is never taken over.
  const real = await fetch(`${gw.urls.http}/api/v1/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'sim-tilt-0003', name: 'real tilt sensor', kind: 'tilt', adapter: 'tilt-json', location: { lon: 121.22, lat: 31.03 }, blockCode: '310117006-01-001-001' }),
  });
  t.equal(real.status, 201, 'a real device registered');
  await t.rejects(startTown({ httpUrl: gw.urls.http, mqttUrl: gw.urls.mqtt, adminToken: gw.adminToken, devicesPerKind: 3, intervalMs: 500, scenario: 'calm', logger }), { code: 'GW_ERR_CONFLICT', message: /sim-tilt-0003 exists and is not an exercise device/ });
});

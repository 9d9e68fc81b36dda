/**
 * The fleet against a bare aedes broker on a free loopback port: one MQTT client per device
 * (own client id and credentials), the adapter's real payload on the device's own `up` topic
 * with its own seq numbers, the last will when a connection dies, reconnection, and a clean
 * stop. (The gateway itself is exercised in town.test.ts.)
 */
import t from 'tap';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { getSensorAdapter } from '../../adapters/index.js';
import { decodeAndValidate } from '../../adapters/validate.js';
import { startFleet, type Fleet, type FleetDevice } from './fleet.js';

interface Seen { clientId: string | null; topic: string; payload: Buffer; retain: boolean }

const passwords: Record<string, string> = {};

async function startBroker(port = 0) {
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => done(null, username === client.id && username !== undefined && passwords[username] === password?.toString()),
  });
  const seen: Seen[] = [];
  const clients = new Map<string, Client>();
  aedes.on('client', (c) => clients.set(c.id, c));
  aedes.on('publish', (packet, client) => {
    if (!packet.topic.startsWith('$SYS')) seen.push({ clientId: client?.id ?? null, topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain });
  });
  const server: Server = createServer((s: Socket) => aedes.handle(s));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    aedes, seen, clients,
    port: typeof addr === 'object' && addr ? addr.port : 0,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

const device = (id: string, kind: FleetDevice['kind'], adapter: string, password = `pw-${id}`): FleetDevice => {
  passwords[id] = `pw-${id}`;
  return { id, kind, adapter, password };
};

t.test('each device publishes its adapter’s real payload, as itself, with its own seq', async (t) => {
  const broker = await startBroker();
  const running: { fleet?: Fleet } = {};
  t.teardown(async () => {
    await running.fleet?.stop();
    await broker.close();
  });
  const devices = [
    device('sim-waterlogging-0001', 'waterlogging', 'waterlogging-json'),
    device('sim-manhole-cover-0001', 'manhole_cover', 'manhole-cover-ctv'),
    device('sim-water-level-0001', 'water_level', 'water-level-sl651'),
    device('sim-tilt-0001', 'tilt', 'tilt-json', 'wrong password'),
  ];
  const fleet = await startFleet({ mqttUrl: `mqtt://127.0.0.1:${broker.port}`, devices, scenario: 'rainstorm', intervalMs: 150, seed: 4, reconnectPeriodMs: 200 });
  running.fleet = fleet;
  const ups = (id: string) => broker.seen.filter((s) => s.topic === `cityops/v1/devices/${id}/up`);
  t.ok(await eventually(() => ups('sim-waterlogging-0001').length >= 4 && ups('sim-manhole-cover-0001').length >= 4, 10_000), 'reports keep coming');

  for (const d of devices.slice(0, 3)) {
    const adapter = getSensorAdapter(d.adapter);
    if (!adapter) throw new Error(d.adapter);
    const msgs = ups(d.id);
    t.ok(msgs.length > 0 && msgs.every((m) => m.clientId === d.id), `${d.id} publishes on its own up topic under its own client id`);
    const seqs = msgs.map((m) => {
      const res = decodeAndValidate(adapter, m.payload, { deviceId: d.id, topic: m.topic, receivedAt: Date.now() });
      if (!res.ok) t.fail(`${d.id}: ${res.error.message}`);
      return res.ok ? res.readings[0]?.seq : undefined;
    });
    t.same(seqs, seqs.map((_, i) => i), `${d.id}: seq 0, 1, 2, … in ${adapter.encoding} payloads that decode and validate`);
  }
  t.equal(ups('sim-water-level-0001').length, 1, 'an SL 651 station (minute timestamps) reports once a minute, not every interval');
  t.equal(ups('sim-tilt-0001').length, 0, 'a device with a wrong password publishes nothing');
  let stats = fleet.stats();
  t.equal(stats.connected, 3, 'three of four connected');
  t.ok(stats.errors >= 1 && /sim-tilt-0001/.test(stats.lastError ?? ''), `the refusal is counted and named (${stats.lastError})`);

  // A connection that dies leaves the device's last will, and the device comes back.
  const before = ups('sim-waterlogging-0001').length;
  broker.clients.get('sim-waterlogging-0001')?.conn.destroy();
  t.ok(await eventually(() => broker.seen.some((s) => s.topic === 'cityops/v1/devices/sim-waterlogging-0001/status'), 5000), 'the will is published');
  const will = broker.seen.find((s) => s.topic === 'cityops/v1/devices/sim-waterlogging-0001/status');
  t.same(JSON.parse(will?.payload.toString() ?? '{}'), { status: 'offline', reason: 'connection lost' }, 'saying the device is offline');
  t.ok(await eventually(() => ups('sim-waterlogging-0001').length > before + 2, 10_000), 'the device reconnects and reports again');
  const seqs = ups('sim-waterlogging-0001').map((m) => (JSON.parse(m.payload.toString()) as { seq: number }).seq);
  t.ok(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number)), 'its seq numbers carry on');

  await fleet.stop();
  stats = fleet.stats();
  t.equal(stats.acknowledged, stats.published, `all ${stats.published} QoS 1 publishes acknowledged`);
  t.equal(stats.connected, 0, 'all disconnected');
  t.ok(await eventually(() => broker.aedes.connectedClients === 0, 5000), 'the broker sees them gone');
  const wills = broker.seen.filter((s) => s.topic.endsWith('/status'));
  t.equal(wills.length, 1, 'a clean stop publishes no last will');
});

t.test('the fleet rides out a broker restart', async (t) => {
  let broker = await startBroker();
  const port = broker.port;
  const fleet = await startFleet({
    mqttUrl: `mqtt://127.0.0.1:${port}`, devices: [device('sim-gas-0001', 'gas', 'gas-ch4-valve'), device('sim-smoke-0001', 'smoke', 'smoke-jtygd-nb')],
    scenario: 'gas-leak', intervalMs: 1000, seed: 9, reconnectPeriodMs: 200,
  });
  t.teardown(async () => {
    await fleet.stop();
    await broker.close();
  });
  t.equal(fleet.stats().connected, 2, 'connected');
  await broker.close();
  t.ok(await eventually(() => fleet.stats().connected === 0, 5000), 'the fleet notices the broker is gone');
  broker = await startBroker(port);
  t.ok(await eventually(() => fleet.stats().connected === 2, 10_000), 'and reconnects when it is back');
  t.ok(await eventually(() => broker.seen.filter((s) => s.topic.endsWith('/up')).length >= 2, 10_000), 'and reports again');
});

t.test('a device whose adapter cannot be simulated is refused up front', async (t) => {
  // Should one start after all, stop it, so the failure is reported rather than a hung test.
  const attempt = (devices: FleetDevice[], scenario = 'calm') =>
    startFleet({ mqttUrl: 'mqtt://127.0.0.1:1', devices, scenario, intervalMs: 1000, seed: 1 }).then(async (f) => f.stop());
  await t.rejects(attempt([{ id: 'g-1', kind: 'generic', adapter: 'generic-json', password: 'x' }]), { code: 'GW_ERR_UNKNOWN_ADAPTER', message: /declares no metrics/ });
  await t.rejects(attempt([{ id: 'g-2', kind: 'smoke', adapter: 'gas-ch4-valve', password: 'x' }]), { code: 'GW_ERR_VALIDATION', message: /reads gas devices/ });
  await t.rejects(attempt([{ id: 'g-3', kind: 'smoke', adapter: 'no-such-adapter', password: 'x' }]), { code: 'GW_ERR_UNKNOWN_ADAPTER' });
  await t.rejects(attempt([], 'snow'), { code: 'GW_ERR_VALIDATION', message: /unknown scenario "snow"/ });
});

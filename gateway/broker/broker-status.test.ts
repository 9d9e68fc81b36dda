import type { MqttClient } from 'mqtt';
import t, { type Test } from 'tap';
import { FakeClock } from '../core/clock.js';
import { MONITOR_KEY, connectClient, connectDevice, connectPacket, rawSocket, startBroker, waitFor } from './test-helpers.js';

const AT = Date.UTC(2026, 5, 1, 8, 0, 0);

async function statusWatcher(t: Test, url: string): Promise<Array<{ topic: string; payload: string; retain: boolean }>> {
  const monitor = await connectClient(t, url, { username: 'apikey', password: MONITOR_KEY });
  const seen: Array<{ topic: string; payload: string; retain: boolean }> = [];
  monitor.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await monitor.subscribeAsync('cityops/v1/devices/+/status', { qos: 1 });
  return seen;
}

function ended(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

void t.test('online on CONNECT, offline on DISCONNECT, with a retained status message from the broker', async (t) => {
  const { broker, policy, url } = await startBroker(t, { clock: new FakeClock(AT) });
  const seen = await statusWatcher(t, url);
  const dev1 = await connectDevice(t, url, 'dev-1');
  await waitFor('online', () => seen.length === 1);
  t.same(policy.statuses, [{ deviceId: 'dev-1', status: 'online', reason: 'connected' }]);
  t.same(seen[0], { topic: 'cityops/v1/devices/dev-1/status', payload: '{"status":"online","at":"2026-06-01T08:00:00.000Z"}', retain: false });
  t.equal(broker.stats().connectedDevices, 1);

  await dev1.endAsync();
  await waitFor('offline', () => seen.length === 2);
  t.same(policy.statuses[1], { deviceId: 'dev-1', status: 'offline', reason: 'disconnect' });
  t.same(JSON.parse(seen[1]?.payload ?? ''), { status: 'offline', at: '2026-06-01T08:00:00.000Z', reason: 'disconnect' });
  t.equal(broker.stats().connectedDevices, 0);

  const late = await connectClient(t, url, { username: 'apikey', password: MONITOR_KEY });
  const retained = new Promise<string>((resolve) => late.once('message', (_topic, payload) => resolve(payload.toString())));
  await late.subscribeAsync('cityops/v1/devices/dev-1/status', { qos: 1 });
  t.match(JSON.parse(await retained), { status: 'offline' }, 'a late subscriber gets the retained status');
});

void t.test('an abrupt socket loss publishes the device will, then goes offline', async (t) => {
  const { policy, url } = await startBroker(t);
  const seen = await statusWatcher(t, url);
  const dev1 = await connectDevice(t, url, 'dev-1', { will: { topic: 'cityops/v1/devices/dev-1/status', payload: Buffer.from('lost'), qos: 1, retain: false } });
  await waitFor('online', () => seen.length === 1);
  dev1.stream.destroy(); // no DISCONNECT: the broker sees the socket close
  await waitFor('will and offline', () => seen.length === 3);
  t.equal(seen[1]?.payload, 'lost', 'the will first');
  t.match(JSON.parse(seen[2]?.payload ?? ''), { status: 'offline', reason: 'connection_lost' }, 'then the broker status');
  t.same(policy.statuses.map((s) => `${s.status} ${s.reason}`), ['online connected', 'offline connection_lost']);
  t.equal(policy.published.length, 0, 'a will does not go through the durable gate');
});

void t.test('a silent connection goes offline at the keepalive timeout', async (t) => {
  const { policy, port } = await startBroker(t);
  const raw = await rawSocket(t, port);
  raw.socket.write(connectPacket({ clientId: 'dev-1-quiet', clean: true, username: 'dev-1', password: 'secret-1', keepalive: 1 }));
  await waitFor('online', () => policy.statuses.length === 1);
  // [MQTT-3.1.2-24]: closed after 1.5 × keepalive without a packet
  await raw.closed;
  await waitFor('offline', () => policy.statuses.length === 2);
  t.same(policy.statuses[1], { deviceId: 'dev-1', status: 'offline', reason: 'keepalive_timeout' });
});

void t.test('a device is online while any of its connections is', async (t) => {
  const { broker, policy, url } = await startBroker(t);
  const a = await connectDevice(t, url, 'dev-1');
  const b = await connectDevice(t, url, 'dev-1');
  await a.endAsync();
  await waitFor("the broker to see a's close", () => broker.stats().connectedClients === 1);
  t.same(policy.statuses.map((s) => s.status), ['online'], 'closing one of two connections is not offline');
  t.equal(broker.stats().connectedDevices, 1);
  await b.endAsync();
  await waitFor('offline', () => policy.statuses.length === 2);
  t.same(policy.statuses[1]?.status, 'offline');
});

void t.test('taking over the own client id does not flap the status', async (t) => {
  const { broker, policy, url } = await startBroker(t);
  const first = await connectDevice(t, url, 'dev-1', { clientId: 'dev-1-fw' });
  const firstGone = ended(first);
  const second = await connectDevice(t, url, 'dev-1', { clientId: 'dev-1-fw' });
  await firstGone;
  await waitFor('the broker to see the old connection close', () => broker.stats().connectedClients === 1);
  t.same(policy.statuses.map((s) => s.status), ['online']);
  second.stream.destroy();
  await waitFor('offline', () => policy.statuses.length === 2);
  t.same(policy.statuses[1], { deviceId: 'dev-1', status: 'offline', reason: 'connection_lost' });
});

void t.test('closing the broker reports its devices offline', async (t) => {
  const { broker, policy, url } = await startBroker(t);
  await connectDevice(t, url, 'dev-1');
  await connectDevice(t, url, 'dev-2');
  await waitFor('online', () => policy.statuses.length === 2);
  await broker.close();
  await waitFor('offline', () => policy.statuses.length === 4);
  t.same(policy.statuses.slice(2).map((s) => `${s.deviceId} ${s.status} ${s.reason}`).sort(), ['dev-1 offline broker_closed', 'dev-2 offline broker_closed']);
});

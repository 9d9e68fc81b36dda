import t from 'tap';
import { CONNACK_OK, DISTRICT_KEY, connectClient, connectDevice, connectPacket, connectReturnCode, rawSocket, recordingPolicy, startBroker, waitFor } from './test-helpers.js';

void t.test('a device with its own credentials connects; wrong or missing ones are refused', async (t) => {
  const { broker, url } = await startBroker(t);
  const ok = await connectDevice(t, url, 'dev-1');
  t.ok(ok.connected, 'dev-1 is connected');

  // MQTT 3.1.1 §3.2.2.3: 4 = user name or password malformed (here: missing), 5 = not authorized.
  t.equal(await connectReturnCode(url, { username: 'dev-1', password: 'wrong' }), 5, 'wrong password → 5');
  t.equal(await connectReturnCode(url, { username: 'nobody', password: 'x' }), 5, 'unknown device → 5');
  t.equal(await connectReturnCode(url, {}), 4, 'no credentials → 4');
  t.equal(await connectReturnCode(url, { username: 'dev-1' }), 4, 'username without password → 4');
  t.same(broker.stats().refusedConnections, { not_authorized: 2, bad_username_or_password: 2 });
  t.equal(broker.stats().connectedClients, 1);
});

void t.test('an empty client id with clean session off gets CONNACK 2 and the connection closes [MQTT-3.1.3-8]', async (t) => {
  const { broker, port } = await startBroker(t);
  const raw = await rawSocket(t, port);
  raw.socket.write(connectPacket({ clientId: '', clean: false, username: 'dev-1', password: 'secret-1' }));
  await raw.closed;
  t.same([...raw.received()], [0x20, 0x02, 0x00, 0x02], 'CONNACK return code 2, nothing else');
  t.same(broker.stats().refusedConnections, { identifier_rejected: 1 });

  const clean = await rawSocket(t, port);
  clean.socket.write(connectPacket({ clientId: '', clean: true, username: 'dev-1', password: 'secret-1' }));
  await waitFor('CONNACK', () => clean.received().length >= 4);
  t.same(clean.received(), CONNACK_OK, 'with clean session an empty id is accepted');
});

void t.test('a failing credential check refuses with 3 (server unavailable) and is logged', async (t) => {
  const policy = recordingPolicy();
  policy.authenticateDevice = async () => {
    throw new Error('registry down');
  };
  const { url } = await startBroker(t, { policy });
  t.equal(await connectReturnCode(url, { username: 'dev-1', password: 'secret-1' }), 3);
});

void t.test('subscribers log in with username apikey and their key', async (t) => {
  const { url } = await startBroker(t);
  const district = await connectClient(t, url, { username: 'apikey', password: DISTRICT_KEY });
  t.ok(district.connected);
  t.equal(await connectReturnCode(url, { username: 'apikey', password: 'not-a-key' }), 5);
  // a device password under the subscriber username is not a device login
  t.equal(await connectReturnCode(url, { username: 'apikey', password: 'secret-1' }), 5);
});

void t.test('without authenticateSubscriber no subscriber can connect', async (t) => {
  const policy = recordingPolicy();
  delete policy.authenticateSubscriber;
  const { url } = await startBroker(t, { policy });
  t.equal(await connectReturnCode(url, { username: 'apikey', password: DISTRICT_KEY }), 5);
});

void t.test('a will is allowed only on the device own status topic', async (t) => {
  const { url } = await startBroker(t);
  const will = (topic: string) => ({ topic, payload: Buffer.from('gone'), qos: 1 as const, retain: false });
  t.equal(await connectReturnCode(url, { username: 'dev-1', password: 'secret-1', will: will('cityops/v1/devices/dev-2/status') }), 5, "another device's status");
  t.equal(await connectReturnCode(url, { username: 'dev-1', password: 'secret-1', will: will('cityops/v1/devices/dev-1/up') }), 5, 'own up');
  t.equal(await connectReturnCode(url, { username: 'dev-1', password: 'secret-1', will: will('cityops/v1/warnings/red/x') }), 5, 'platform topic');
  t.equal(await connectReturnCode(url, { username: 'apikey', password: DISTRICT_KEY, will: will('cityops/v1/warnings/red/x') }), 5, 'subscriber with a will');
  t.equal(await connectReturnCode(url, { username: 'dev-1', password: 'secret-1', will: will('cityops/v1/devices/dev-1/status') }), 0, 'own status');
});

void t.test('a client id is taken over by the same device, not by another one [MQTT-3.1.4-2]', async (t) => {
  const { url } = await startBroker(t);
  const first = await connectDevice(t, url, 'dev-1', { clientId: 'shared-id' });
  const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));

  t.equal(await connectReturnCode(url, { username: 'dev-2', password: 'secret-2', clientId: 'shared-id' }), 2, 'another device gets identifier rejected');
  t.ok(first.connected, 'the holder stays connected');

  const second = await connectDevice(t, url, 'dev-1', { clientId: 'shared-id' });
  await firstClosed;
  t.ok(second.connected, 'the same device takes its id over and the old connection is closed');
});

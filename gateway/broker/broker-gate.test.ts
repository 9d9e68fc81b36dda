import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { GatewayError } from '../core/errors.js';
import { CONNACK_OK, connectDevice, connectPacket, puback, publishPacket, rawSocket, startBroker, waitFor } from './test-helpers.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

void t.test('the PUBACK waits until onDevicePublish has resolved', async (t) => {
  const { policy, url } = await startBroker(t);
  const held = deferred();
  policy.gate = () => held.promise;
  const dev1 = await connectDevice(t, url, 'dev-1');

  let acked = false;
  const ack = dev1.publishAsync('cityops/v1/devices/dev-1/up', '{"level":1.2}', { qos: 1 }).then(() => {
    acked = true;
  });
  await waitFor('the gate to be called', () => policy.published.length === 1);
  await sleep(150); // plenty for a PUBACK on loopback, had it been sent
  t.notOk(acked, 'no PUBACK while the reading is not durable');
  held.resolve();
  await ack;
  t.ok(acked, 'PUBACK once it is');
});

void t.test('a refused publish gets no PUBACK and the connection is closed', async (t) => {
  const { broker, policy, port } = await startBroker(t);
  policy.gate = async () => {
    throw new GatewayError('GW_ERR_SPOOL_FULL', 'spool full');
  };
  const raw = await rawSocket(t, port);
  raw.socket.write(connectPacket({ clientId: 'dev-1-raw', clean: true, username: 'dev-1', password: 'secret-1' }));
  await waitFor('CONNACK', () => raw.received().length >= 4);
  raw.socket.write(publishPacket({ topic: 'cityops/v1/devices/dev-1/up', messageId: 7, payload: 'x' }));
  await raw.closed;
  t.same(raw.received(), CONNACK_OK, 'nothing after the CONNACK: no PUBACK');
  t.equal(policy.published.length, 1);
  t.equal(broker.stats().gateRefusals, 1);
});

void t.test('pipelined publishes are gated concurrently and acknowledged in arrival order [MQTT-4.6.0-2]', async (t) => {
  const { policy, port } = await startBroker(t);
  const first = deferred();
  policy.gate = (msg) => (msg.payload.toString() === 'first' ? first.promise : Promise.resolve());
  const raw = await rawSocket(t, port);
  raw.socket.write(connectPacket({ clientId: 'dev-1-pipe', clean: true, username: 'dev-1', password: 'secret-1' }));
  await waitFor('CONNACK', () => raw.received().length >= 4);

  // One write, so both packets arrive in one read and aedes dispatches them together.
  const topic = 'cityops/v1/devices/dev-1/up';
  raw.socket.write(Buffer.concat([publishPacket({ topic, messageId: 1, payload: 'first' }), publishPacket({ topic, messageId: 2, payload: 'second' })]));
  await waitFor('both publishes at the gate', () => policy.published.length === 2);
  await sleep(100);
  t.same(raw.received(), CONNACK_OK, 'the second, already durable, is not acknowledged ahead of the first');
  first.resolve();
  await waitFor('both PUBACKs', () => raw.received().length >= 12);
  t.same(raw.received().subarray(4), Buffer.concat([puback(1), puback(2)]), 'PUBACK 1 then PUBACK 2');
});

void t.test('when an earlier publish is refused, later ones of that batch are not acknowledged either', async (t) => {
  const { policy, port } = await startBroker(t);
  const first = deferred();
  policy.gate = (msg) => (msg.payload.toString() === 'first' ? first.promise : Promise.resolve());
  const raw = await rawSocket(t, port);
  raw.socket.write(connectPacket({ clientId: 'dev-1-pipe', clean: true, username: 'dev-1', password: 'secret-1' }));
  await waitFor('CONNACK', () => raw.received().length >= 4);
  const topic = 'cityops/v1/devices/dev-1/up';
  raw.socket.write(Buffer.concat([publishPacket({ topic, messageId: 1, payload: 'first' }), publishPacket({ topic, messageId: 2, payload: 'second' })]));
  await waitFor('both publishes at the gate', () => policy.published.length === 2);
  first.reject(new GatewayError('GW_ERR_SPOOL_FULL', 'spool full'));
  await raw.closed;
  t.same(raw.received(), CONNACK_OK, 'no PUBACK at all: the device resends both');
});

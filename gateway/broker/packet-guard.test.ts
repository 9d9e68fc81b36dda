import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { FixedHeaderScanner } from './packet-guard.js';
import { CONNACK_OK, connectDevice, connectPacket, fixedHeader, publishPacket, puback, rawSocket, startBroker, waitFor } from './test-helpers.js';

const MiB = 1024 * 1024;

function scanBytewise(scanner: FixedHeaderScanner, bytes: Buffer): ReturnType<FixedHeaderScanner['scan']> {
  for (const b of bytes) {
    const v = scanner.scan(Buffer.from([b]));
    if (v) return v;
  }
  return null;
}

void t.test('the scanner follows packets across any chunking and skips their bodies', async (t) => {
  const stream = Buffer.concat([
    connectPacket({ clientId: 'c', clean: true, username: 'u', password: 'p' }),
    publishPacket({ topic: 'a/b', messageId: 1, payload: Buffer.alloc(300, 7) }), // two length bytes
    Buffer.from([0xc0, 0x00]), // PINGREQ: empty body
    publishPacket({ topic: 'a/b', messageId: 2, payload: Buffer.alloc(20000) }), // three length bytes
  ]);
  for (const size of [1, 2, 3, 7, 64, stream.length]) {
    const scanner = new FixedHeaderScanner(64 * 1024);
    const violations = [];
    for (let i = 0; i < stream.length; i += size) violations.push(scanner.scan(stream.subarray(i, i + size)));
    t.same([scanner.packets, violations.filter(Boolean)], [4, []], `4 packets in chunks of ${size}`);
  }
});

void t.test('the scanner stops at a header over the limit, even split byte by byte', async (t) => {
  const max = 256 * 1024;
  t.equal(new FixedHeaderScanner(max).scan(fixedHeader(0x30, max - 4)), null, 'exactly the limit (1 + 3 length bytes + body) passes');
  t.match(new FixedHeaderScanner(max).scan(fixedHeader(0x30, max - 3)), { kind: 'oversize', announcedBytes: max + 1, maxBytes: max });
  t.match(scanBytewise(new FixedHeaderScanner(max), fixedHeader(0x10, 200 * MiB)), { kind: 'oversize', packetType: 1 });
  const afterOne = Buffer.concat([Buffer.from([0xc0, 0x00]), fixedHeader(0x30, 268435455)]);
  t.match(scanBytewise(new FixedHeaderScanner(max), afterOne), { kind: 'oversize', packetType: 3, announcedBytes: 268435460 });
});

void t.test('a remaining length longer than 4 bytes is malformed [MQTT-2.2.3]', async (t) => {
  t.match(new FixedHeaderScanner(1024).scan(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01])), { kind: 'malformed' });
});

void t.test('a client announcing a 200 MB packet is cut off at the header, before anything is buffered', async (t) => {
  // A long connect timeout: if the socket closes, it is the guard that closed it.
  const { broker, policy, port } = await startBroker(t, { mqtt: { connectTimeoutMs: 60000 } });
  const raw = await rawSocket(t, port);
  const rssBefore = process.memoryUsage().rss;
  raw.socket.write(fixedHeader(0x10, 200 * MiB));
  let sent = 0;
  let closed = false;
  void raw.closed.then(() => (closed = true));
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  // Trickle body bytes until the server hangs up (or 5 s pass, which fails the test).
  for (const until = Date.now() + 5000; !closed && Date.now() < until; ) {
    if (!raw.socket.destroyed) raw.socket.write(chunk, () => {});
    sent += chunk.length;
    await sleep(10);
  }
  t.ok(closed, `the server closed the connection (after ${sent} body bytes were offered)`);
  t.equal(broker.stats().oversizePackets, 1);
  t.ok(process.memoryUsage().rss - rssBefore < 64 * MiB, 'memory did not grow towards the announced size');
  t.equal(policy.published.length, 0);
});

void t.test('an oversize PUBLISH after a good CONNECT is cut off too; the limit comes from the config', async (t) => {
  const { broker, port } = await startBroker(t, { mqtt: { maxPacketBytes: 4096 } });
  const raw = await rawSocket(t, port);
  raw.socket.write(connectPacket({ clientId: 'dev-1-big', clean: true, username: 'dev-1', password: 'secret-1' }));
  await waitFor('CONNACK', () => raw.received().length >= 4);
  // header split over two writes
  const big = publishPacket({ topic: 'cityops/v1/devices/dev-1/up', messageId: 1, payload: Buffer.alloc(5000) });
  raw.socket.write(big.subarray(0, 2));
  await sleep(20);
  raw.socket.write(big.subarray(2));
  await raw.closed;
  t.same(raw.received(), CONNACK_OK, 'no PUBACK');
  t.equal(broker.stats().oversizePackets, 1);
});

void t.test('a large publish within the limit passes, headers split across writes are fine', async (t) => {
  const { policy, url, port } = await startBroker(t);
  const dev1 = await connectDevice(t, url, 'dev-1');
  const payload = Buffer.alloc(250 * 1024, 0x5a); // under the 256 KiB default with its header
  await dev1.publishAsync('cityops/v1/devices/dev-1/up', payload, { qos: 1 });
  t.equal(policy.published[0]?.payload.length, payload.length);

  const raw = await rawSocket(t, port);
  const bytes = Buffer.concat([
    connectPacket({ clientId: 'dev-2-slow', clean: true, username: 'dev-2', password: 'secret-2' }),
    publishPacket({ topic: 'cityops/v1/devices/dev-2/up', messageId: 9, payload: 'slow' }),
  ]);
  for (const b of bytes) {
    raw.socket.write(Buffer.from([b]));
    await sleep(1);
  }
  await waitFor('CONNACK and PUBACK', () => raw.received().length >= 8);
  t.same(raw.received(), Buffer.concat([CONNACK_OK, puback(9)]));
});

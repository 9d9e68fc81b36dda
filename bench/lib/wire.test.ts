import t from 'tap';
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { encodeConnect, encodePuback, encodeSubscribe, PacketReader, PacketType, publishLayout, publishPacketId, writePublish, type Packet } from './wire.js';
import { buildPool, planDevices } from './payloads.js';
import { Meter, rawPublisher } from './publishers.js';
import { latencyHistogram } from './stats.js';

t.test('a PUBLISH written at its layout parses back, split at every byte', async (t) => {
  const topic = Buffer.from('cityops/v1/devices/d-1/up');
  const payload = Buffer.alloc(200, 7); // body over 127 bytes: a two-byte Remaining Length
  const { bytes, idOffset } = publishLayout(topic.length, payload.length);
  const buf = Buffer.alloc(bytes);
  t.equal(writePublish(buf, 0, topic, payload), bytes);
  buf.writeUInt16BE(4242, idOffset);
  for (let cut = 1; cut < bytes; cut++) {
    const got: Packet[] = [];
    const r = new PacketReader((p) => got.push({ ...p, body: Buffer.from(p.body) }));
    r.push(buf.subarray(0, cut));
    r.push(Buffer.concat([buf.subarray(cut), encodePuback(9)]));
    if (got.length !== 2) return t.fail(`cut at ${cut}: ${got.length} packets`);
    const [pub, ack] = got as [Packet, Packet];
    if (pub.type !== PacketType.publish || pub.flags !== 0x2 || publishPacketId(pub.body) !== 4242 || !pub.body.subarray(pub.body.length - 200).equals(payload)) return t.fail(`cut at ${cut}: bad publish`);
    if (ack.type !== PacketType.puback || ack.body.readUInt16BE(0) !== 9) return t.fail(`cut at ${cut}: bad puback`);
  }
  t.pass('every split parses');
});

t.test('the raw publisher and a raw subscriber against a real aedes: every message acknowledged and delivered once', async (t) => {
  const aedes = await Aedes.createBroker();
  const server = createServer((c) => aedes.handle(c));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(async () => {
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as AddressInfo).port;

  const { connect } = await import('node:net');
  const sub = connect({ host: '127.0.0.1', port });
  let received = 0;
  const subscribed = new Promise<void>((resolve) => {
    const reader = new PacketReader((p) => {
      if (p.type === PacketType.connack) sub.write(encodeSubscribe(1, '#'));
      else if (p.type === PacketType.suback) resolve();
      else if (p.type === PacketType.publish) {
        received++;
        sub.write(encodePuback(publishPacketId(p.body)));
      }
    });
    sub.on('data', (c: Buffer) => reader.push(c));
  });
  sub.write(encodeConnect({ clientId: 'counter' }));
  await subscribed;
  t.teardown(() => sub.destroy());

  const [device] = planDevices(1);
  const pool = buildPool(device!, 300, Date.now());
  const meter = new Meter(latencyHistogram());
  meter.measuring = true;
  const pub = await rawPublisher({ url: new URL(`mqtt://127.0.0.1:${port}`), credentials: { clientId: 'p1' }, pool, window: 8, unique: true, meter });
  pub.start();
  const deadline = Date.now() + 10_000;
  while ((meter.acked < 300 || received < 300) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.equal(meter.sent, 300, 'a unique pool is sent once');
  t.equal(meter.acked, 300, 'every PUBLISH acknowledged');
  t.ok(pub.exhausted, 'the pool ran out and the publisher stopped');
  t.equal(received, 300, 'the subscriber got each message');
  let readings = 0;
  for (let i = 0; i < pool.count; i++) readings += pool.readings[i]!;
  t.equal(meter.ackedReadings, readings, 'readings counted from the pool');
  t.equal(meter.histogram.count, 300, 'a latency per acknowledgement');
  t.equal(pub.inflight, 0);
  await pub.close();
});

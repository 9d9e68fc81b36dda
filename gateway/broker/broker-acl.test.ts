import type { MqttClient } from 'mqtt';
import t from 'tap';
import { DISTRICT_KEY, MONITOR_KEY, connectClient, connectDevice, startBroker, subscribeCodes, waitFor } from './test-helpers.js';
import { warningTopic } from './topics.js';

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

function collect(client: MqttClient): Array<{ topic: string; payload: string; retain: boolean }> {
  const seen: Array<{ topic: string; payload: string; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return seen;
}

void t.test('a device publishing outside its own topics is disconnected; nothing is gated or delivered', async (t) => {
  const { broker, policy, url } = await startBroker(t);
  const monitor = await connectClient(t, url, { username: 'apikey', password: MONITOR_KEY });
  await monitor.subscribeAsync('cityops/v1/#', { qos: 1 });
  const seen = collect(monitor);

  const forbidden = ['cityops/v1/devices/dev-2/up', 'cityops/v1/devices/dev-1/down', 'cityops/v1/warnings/red/waterlogging', 'cityops/v1/devices/dev-1/other', 'elsewhere/x'];
  for (const topic of forbidden) {
    const dev1 = await connectDevice(t, url, 'dev-1');
    const gone = closed(dev1);
    dev1.publish(topic, 'spoofed', { qos: 1 });
    await gone;
    t.pass(`publish to ${topic} closed the connection`);
  }
  // A QoS 0 publish has no acknowledgement to withhold, but is refused the same way.
  const dev1 = await connectDevice(t, url, 'dev-1');
  const gone = closed(dev1);
  dev1.publish('cityops/v1/devices/dev-2/up', 'spoofed', { qos: 0 });
  await gone;

  const dev2 = await connectDevice(t, url, 'dev-2');
  await dev2.publishAsync('cityops/v1/devices/dev-2/up', 'real', { qos: 1 });
  await waitFor('the real reading at the monitor', () => seen.some((m) => m.payload === 'real'));
  t.same(seen.filter((m) => !m.topic.endsWith('/status')).map((m) => m.payload), ['real'], 'only the legitimate publish was delivered');
  t.same(policy.published.map((m) => `${m.deviceId} ${m.topic}`), ['dev-2 cityops/v1/devices/dev-2/up'], 'the durable gate saw only the legitimate publish');
  t.equal(broker.stats().aclDenials.publish, forbidden.length + 1);
});

void t.test('a device publishes on up, up/… subtopics, event and status; retain is kept only on status', async (t) => {
  const { policy, url } = await startBroker(t);
  const dev1 = await connectDevice(t, url, 'dev-1');
  await dev1.publishAsync('cityops/v1/devices/dev-1/up', Buffer.from([1, 2, 3]), { qos: 1, retain: true });
  await dev1.publishAsync('cityops/v1/devices/dev-1/up/raw', 'r', { qos: 1 });
  await dev1.publishAsync('cityops/v1/devices/dev-1/event', 'e', { qos: 0 });
  await dev1.publishAsync('cityops/v1/devices/dev-1/status', 'fine', { qos: 1, retain: true });
  await waitFor('four publishes', () => policy.published.length === 4);
  t.same(
    policy.published.map((m) => [m.suffix, m.rest.join('/'), m.qos, m.retain]),
    [['up', '', 1, false], ['up', 'raw', 1, false], ['event', '', 0, false], ['status', '', 1, true]],
  );
  t.same([...(policy.published[0]?.payload ?? [])], [1, 2, 3], 'payload bytes reach the gate');

  const monitor = await connectClient(t, url, { username: 'apikey', password: MONITOR_KEY });
  const seen = collect(monitor);
  await monitor.subscribeAsync('cityops/v1/devices/dev-1/status', { qos: 1 });
  await monitor.subscribeAsync('cityops/v1/devices/dev-1/up', { qos: 1 });
  // Retained messages go out right after the SUBACK, so they come before a later live one.
  await dev1.publishAsync('cityops/v1/devices/dev-1/up', 'marker', { qos: 1 });
  await waitFor('marker', () => seen.some((m) => m.payload === 'marker'));
  t.ok(seen.some((m) => m.payload === 'fine' && m.retain), 'the retained status was kept');
  t.same(seen.filter((m) => m.topic.endsWith('/up')).map((m) => m.payload), ['marker'], 'no retained message was stored for up');
});

void t.test('devices subscribe only to their own down topic, without wildcards', async (t) => {
  const { broker, url } = await startBroker(t);
  const dev1 = await connectDevice(t, url, 'dev-1');
  const granted = await subscribeCodes(dev1, ['#', 'cityops/v1/devices/dev-2/down', 'cityops/v1/devices/+/down', 'cityops/v1/devices/dev-1/#', '$SYS/#', 'cityops/v1/warnings/#', 'cityops/v1/devices/dev-1/down']);
  t.same(granted, [128, 128, 128, 128, 128, 128, 1], 'SUBACK 0x80 for each forbidden filter, QoS 1 for the own down topic');
  t.equal(broker.stats().aclDenials.subscribe, 6);

  const seen = collect(dev1);
  await broker.publishPlatform('cityops/v1/devices/dev-2/down', 'not yours');
  await broker.publishPlatform('cityops/v1/devices/dev-1/down', '{"cmd":"reboot"}');
  await waitFor('the command', () => seen.length > 0);
  t.same(seen, [{ topic: 'cityops/v1/devices/dev-1/down', payload: '{"cmd":"reboot"}', retain: false }]);
  t.ok(dev1.connected, 'a refused subscription does not close the connection');
});

void t.test('the district subscriber reads its filters and can publish nothing', async (t) => {
  const { broker, policy, url } = await startBroker(t);
  const district = await connectClient(t, url, { username: 'apikey', password: DISTRICT_KEY });
  const granted = await subscribeCodes(district, ['cityops/v1/warnings/#', 'cityops/v1/warnings/red/+', 'cityops/v1/devices/#', '#', '$SYS/#']);
  t.same(granted, [1, 1, 128, 128, 128]);

  const seen = collect(district);
  await broker.publishPlatform(warningTopic('red', 'waterlogging'), '{"id":"w1"}', { qos: 1 });
  await waitFor('the warning', () => seen.length >= 1);
  t.equal(seen[0]?.topic, 'cityops/v1/warnings/red/waterlogging');

  const gone = closed(district);
  district.publish('cityops/v1/warnings/red/waterlogging', 'forged', { qos: 1 });
  await gone;
  t.pass('a subscriber publishing is disconnected');
  t.equal(policy.published.length, 0);
});

void t.test('publishPlatform refuses wildcard and $ topics and fails once closed', async (t) => {
  const { broker } = await startBroker(t);
  await t.rejects(broker.publishPlatform('cityops/v1/warnings/#', 'x'), TypeError);
  await t.rejects(broker.publishPlatform('$SYS/x', 'x'), TypeError);
  await broker.close();
  await t.rejects(broker.publishPlatform('cityops/v1/warnings/red/x', 'x'), { code: 'GW_ERR_NOT_READY' });
});

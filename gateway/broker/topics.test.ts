import t from 'tap';
import { Value } from 'typebox/value';
import { DeviceStatusPayloadSchema, deviceTopic, isPlatformTopic, parseDeviceTopic, parseWarningTopic, statusPayload, warningTopic } from './topics.js';

void t.test('device topics format and parse both ways', async (t) => {
  t.equal(deviceTopic('dev-1', 'up'), 'cityops/v1/devices/dev-1/up');
  t.equal(deviceTopic('dev-1', 'up', 'raw'), 'cityops/v1/devices/dev-1/up/raw');
  t.same(parseDeviceTopic('cityops/v1/devices/dev-1/up/raw'), { deviceId: 'dev-1', suffix: 'up', rest: ['raw'] });
  t.same(parseDeviceTopic('cityops/v1/devices/dev-1/down'), { deviceId: 'dev-1', suffix: 'down', rest: [] });
  for (const bad of ['cityops/v1/devices/+/up', 'cityops/v1/devices/dev-1/#', 'cityops/v1/devices//up', 'cityops/v1/devices/dev-1/nope', 'cityops/v1/devices/dev-1', 'cityops/v2/devices/dev-1/up', 'cityops/v1/devices/$x/up']) {
    t.equal(parseDeviceTopic(bad), null, bad);
  }
  t.throws(() => deviceTopic('a/b', 'up'), TypeError, 'an id with a separator is not a topic level');
  t.throws(() => deviceTopic('dev-1', 'up', '#'), TypeError);
});

void t.test('warning topics', async (t) => {
  t.equal(warningTopic('orange', 'waterlogging'), 'cityops/v1/warnings/orange/waterlogging');
  t.same(parseWarningTopic('cityops/v1/warnings/red/gas'), { grade: 'red', kind: 'gas' });
  t.equal(parseWarningTopic('cityops/v1/warnings/purple/gas'), null);
  t.equal(parseWarningTopic('cityops/v1/warnings/red/gas/extra'), null);
  t.throws(() => warningTopic('red', '+'), TypeError);
  t.ok(isPlatformTopic('cityops/v1/warnings/red/gas'));
  t.ok(isPlatformTopic('cityops/v1/cases/c1'));
  t.ok(isPlatformTopic('cityops/v1/notifications/red'));
  t.notOk(isPlatformTopic('cityops/v1/devices/dev-1/up'));
});

void t.test('the status payload matches its schema', async (t) => {
  const online = JSON.parse(statusPayload('online', Date.UTC(2026, 0, 1)).toString()) as unknown;
  t.same(online, { status: 'online', at: '2026-01-01T00:00:00.000Z' });
  t.ok(Value.Check(DeviceStatusPayloadSchema, online));
  const offline = JSON.parse(statusPayload('offline', 0, 'keepalive_timeout').toString()) as unknown;
  t.ok(Value.Check(DeviceStatusPayloadSchema, offline));
  t.match(offline, { reason: 'keepalive_timeout' });
});

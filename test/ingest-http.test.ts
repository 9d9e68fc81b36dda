/**
 * Platform-to-platform ingest (seed S1), the vendor decode console, and the device ACL as a
 * device meets it through the real broker.
 */
import t, { type Test } from 'tap';
import { stopSharedPostgres } from './helpers/postgres.js';
import { pgGateway, provision, connectDevice } from './helpers/gateway.js';

t.teardown(stopSharedPostgres);

const gateway = (t: Test) => pgGateway(t);

const ctwingPush = (deviceId: string, payload: Record<string, unknown>) => ({
  messageType: 'dataReport', deviceId, productId: '15014772', protocol: 'mqtt', timestamp: Date.now() - 5000, payload,
});

t.test('CTWing dataReport push with a per-platform key', async (t) => {
  const gw = await gateway(t);
  const created = await gw.api('POST', '/devices', {
    body: { id: 'ct-1', name: 'CTWing gauge', kind: 'waterlogging', adapter: 'waterlogging-json', platform: 'ctwing', externalId: '15014772wl0001', location: { lon: 121.23, lat: 31.03 }, blockCode: '310117006-01-003-012' },
  });
  t.equal(created.status, 201);
  const ctwingKey = (await gw.api('POST', '/api-keys', { body: { name: 'ctwing push', role: 'platform', platform: 'ctwing' } })).body.key as string;
  const onenetKey = (await gw.api('POST', '/api-keys', { body: { name: 'onenet push', role: 'platform', platform: 'onenet' } })).body.key as string;

  const ok = await gw.api('POST', '/ingest/ctwing', { token: ctwingKey, body: ctwingPush('15014772wl0001', { depth_cm: 23.5, battery_pct: 77 }) });
  t.equal(ok.status, 200, JSON.stringify(ok.body));
  t.equal(ok.body.accepted, 2);
  t.equal(ok.body.results[0].deviceId, 'ct-1');
  await gw.pipeline.flushed();
  const latest = await gw.api('GET', '/devices/ct-1/latest');
  t.equal(latest.body.readings.find((r: { metric: string }) => r.metric === 'depth_cm')?.value, 23.5, 'stored and visible');

  t.equal((await gw.api('POST', '/ingest/ctwing', { token: onenetKey, body: ctwingPush('15014772wl0001', { depth_cm: 1 }) })).status, 403, "another platform's key is refused");
  t.equal((await gw.api('POST', '/ingest/ctwing', { token: 'cok_nope', body: ctwingPush('x', {}) })).status, 401, 'a wrong key is refused');
  const unknown = await gw.api('POST', '/ingest/ctwing', { token: ctwingKey, body: ctwingPush('no-such-device', { depth_cm: 1 }) });
  t.equal(unknown.status, 404);
  t.equal(unknown.body.error.code, 'GW_ERR_UNKNOWN_DEVICE');
  const range = await gw.api('POST', '/ingest/ctwing', { token: ctwingKey, body: ctwingPush('15014772wl0001', { depth_cm: 5000 }) });
  t.equal(range.status, 422);
  t.equal(range.body.error.code, 'GW_ERR_OUT_OF_RANGE');
  t.match(range.body.error.message, /depth_cm/);
  const malformed = await gw.api('POST', '/ingest/ctwing', { token: ctwingKey, raw: '{"messageType": "dataRep', headers: { 'content-type': 'application/json' } });
  t.equal(malformed.status, 422);
  t.equal(malformed.body.error.code, 'GW_ERR_DECODE');
  t.equal((await gw.api('POST', '/ingest/nosuch', { body: {} })).body.error.code, 'GW_ERR_UNKNOWN_ADAPTER');
  await gw.pipeline.flushed();
  const dead = await gw.api('GET', '/dead-letters?source=http:ctwing');
  t.same(dead.body.items.map((d: { reasonCode: string }) => d.reasonCode).sort(), ['MALFORMED', 'OUT_OF_RANGE', 'UNKNOWN_DEVICE'], 'each rejected push is a dead letter with its reason');
});

t.test('decode console shows the readings or the error, stores nothing', async (t) => {
  const gw = await gateway(t);
  const vendor = (await gw.api('POST', '/api-keys', { body: { name: 'v', role: 'vendor', vendor: 'acme' } })).body.key as string;
  const list = await gw.api('GET', '/adapters', { token: vendor });
  t.ok(list.body.sensors.length >= 7, 'lists every adapter');
  const frame = 'C70101026656A840060101007D0201FFCE0302000403002305020006065C9DFF';
  const ok = await gw.api('POST', '/adapters/manhole-cover-ctv/decode', { token: vendor, body: { payloadHex: frame } });
  t.equal(ok.status, 200, JSON.stringify(ok.body));
  t.ok(ok.body.readings.some((r: { metric: string; unit?: string }) => r.metric === 'tilt_x_deg' && r.unit), 'readings with units');
  t.equal(ok.body.readings[0].timeSource, 'device');
  const bad = await gw.api('POST', '/adapters/manhole-cover-ctv/decode', { token: vendor, body: { payloadHex: frame.slice(0, -2) + '00' } });
  t.equal(bad.status, 422);
  t.equal(bad.body.error.code, 'GW_ERR_DECODE');
  t.match(bad.body.error.message, /BAD_CHECKSUM/);
  const short = await gw.api('POST', '/adapters/manhole-cover-ctv/decode', { token: vendor, body: { payloadHex: 'C701' } });
  t.match(short.body.error.message, /SHORT_FRAME/);
  const json = await gw.api('POST', '/adapters/waterlogging-json/decode', { token: vendor, body: { payload: { ts: Date.now(), seq: 1, depth: 12, battery: 90 } } });
  t.equal(json.status, 200);
  t.same(json.body.readings.map((r: { metric: string }) => r.metric).sort(), ['battery_pct', 'depth_cm']);
  const both = await gw.api('POST', '/adapters/waterlogging-json/decode', { token: vendor, body: { payload: {}, payloadHex: '00' } });
  t.equal(both.status, 400);
  t.equal((await gw.api('POST', '/adapters/nope/decode', { token: vendor, body: { payload: {} } })).body.error.code, 'GW_ERR_UNKNOWN_ADAPTER');
  const rows = await gw.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings');
  t.equal(rows.rows[0]?.n, 0, 'nothing stored');
});

t.test('MQTT ACL: a device cannot publish as another, subscribe to #, or write platform topics', async (t) => {
  const gw = await gateway(t);
  const a = await provision(gw.api, { id: 'acl-a' });
  const b = await provision(gw.api, { id: 'acl-b' });
  const ca = await connectDevice(gw.urls.mqtt, a.id, a.password);
  // mqtt.js turns SUBACK return code 0x80 into a rejected subscribe.
  await t.rejects(ca.subscribeAsync('#', { qos: 1 }), /Subscribe error/, 'subscribing to # is refused (SUBACK 0x80)');
  await t.rejects(ca.subscribeAsync(`cityops/v1/devices/${b.id}/down`, { qos: 1 }), /Subscribe error/, "another device's down topic is refused");
  const own = await ca.subscribeAsync(`cityops/v1/devices/${a.id}/down`, { qos: 1 });
  t.equal(own[0]?.qos, 1, 'its own down topic is granted');
  const closed = new Promise<void>((resolve) => ca.once('close', () => resolve()));
  ca.publish(`cityops/v1/devices/${b.id}/up`, JSON.stringify({ ts: Date.now(), seq: 1, depth: 1 }), { qos: 1 });
  await closed;
  t.pass('publishing as another device closes the connection');
  const cb = await connectDevice(gw.urls.mqtt, b.id, b.password);
  const closedB = new Promise<void>((resolve) => cb.once('close', () => resolve()));
  cb.publish('cityops/v1/warnings/red/smoke', '{}', { qos: 1 });
  await closedB;
  t.pass('a device publishing a warning topic is cut off');
  ca.end(true);
  cb.end(true);
  await gw.pipeline.flushed();
  const rows = await gw.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings');
  t.equal(rows.rows[0]?.n, 0, 'nothing from the refused publishes was stored');
  await t.rejects(connectDevice(gw.urls.mqtt, a.id, 'wrong-password'), 'a wrong password is refused');
});

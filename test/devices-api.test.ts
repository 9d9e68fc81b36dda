/**
 * The device registry through the real HTTP API: roles and vendor scope, the audit log,
 * coordinate conversion, bulk import errors, credential rotation and status history.
 */
import t, { type Test } from 'tap';
import { stopSharedPostgres } from './helpers/postgres.js';
import mqtt from 'mqtt';
import { pgGateway, provision, connectDevice, type Api } from './helpers/gateway.js';

t.teardown(stopSharedPostgres);

const gateway = (t: Test) => pgGateway(t);

async function key(call: Api, role: string, extra: Record<string, string> = {}): Promise<string> {
  const r = await call('POST', '/api-keys', { body: { name: `${role}-${Object.values(extra).join('-') || 'k'}`, role, ...extra } });
  if (r.status !== 201) throw new Error(`key: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.key as string;
}

const device = (id: string, extra: Record<string, unknown> = {}) => ({
  id, name: `Device ${id}`, kind: 'waterlogging', adapter: 'waterlogging-json', location: { lon: 121.23, lat: 31.03 }, blockCode: '310117006-01-003-012', ...extra,
});

t.test('roles: vendors see only their own devices, viewers cannot write', async (t) => {
  const gw = await gateway(t);
  const vendorA = await key(gw.api, 'vendor', { vendor: 'acme' });
  const vendorB = await key(gw.api, 'vendor', { vendor: 'bolt' });
  const viewer = await key(gw.api, 'viewer');
  const a = await gw.api('POST', '/devices', { token: vendorA, body: device('a-1') });
  t.equal(a.status, 201, 'vendor A provisions');
  t.equal(a.body.device.vendor, 'acme', 'the device belongs to the calling vendor');
  t.equal((await gw.api('POST', '/devices', { token: vendorB, body: device('b-1', { vendor: 'acme' }) })).body.device.vendor, 'bolt', 'a vendor cannot provision for another vendor');
  const listB = await gw.api('GET', '/devices', { token: vendorB });
  t.same(listB.body.devices.map((d: { id: string }) => d.id), ['b-1'], 'vendor B lists only its own');
  t.equal((await gw.api('GET', '/devices/a-1', { token: vendorB })).status, 403, "vendor B cannot read vendor A's device");
  t.equal((await gw.api('PATCH', '/devices/a-1', { token: vendorB, body: { name: 'x' } })).status, 403, "…nor change it");
  t.equal((await gw.api('DELETE', '/devices/a-1', { token: vendorB })).status, 403, '…nor delete it');
  t.equal((await gw.api('GET', '/devices/a-1/latest', { token: vendorB })).status, 403, '…nor read its values');
  const pw = (await gw.api('POST', '/devices/a-1/credentials', { token: vendorA })).body.credentials.password as string;
  const ca = await connectDevice(gw.urls.mqtt, 'a-1', pw);
  await ca.publishAsync('cityops/v1/devices/a-1/up', 'not json', { qos: 1 });
  await ca.endAsync();
  await gw.pipeline.flushed();
  t.equal((await gw.api('GET', '/dead-letters', { token: vendorA })).body.items.length, 1, 'vendor A sees the dead letter of its device');
  t.equal((await gw.api('GET', '/dead-letters', { token: vendorB })).body.items.length, 0, "vendor B does not see vendor A's dead letters");
  const v = await gw.api('GET', '/devices', { token: viewer });
  t.equal(v.status, 200, 'a viewer reads');
  t.equal(v.body.devices.length, 2);
  const w = await gw.api('POST', '/devices', { token: viewer, body: device('v-1') });
  t.equal(w.status, 403, 'a viewer cannot write');
  t.equal(w.body.error.code, 'GW_ERR_FORBIDDEN');
  t.equal((await gw.api('GET', '/devices', { token: 'cok_wrong' })).status, 401, 'a wrong key is refused');
  t.equal((await gw.api('GET', '/devices', { token: 'cok_wrong' })).body.error.code, 'GW_ERR_UNAUTHENTICATED');
});

t.test('provisioning: credentials once, hashed; GCJ-02 and BD-09 become WGS-84; duplicates refused', async (t) => {
  const gw = await gateway(t);
  const r = await gw.api('POST', '/devices', { body: device('wl-1', { location: { lon: 121.2300, lat: 31.0300, crs: 'gcj02', address: '岳阳路 1 号' } }) });
  t.equal(r.status, 201);
  t.equal(r.body.credentials.username, 'wl-1');
  t.ok(r.body.credentials.password.length >= 20, 'a strong password');
  const row = await gw.db.query<{ password_hash: string }>('SELECT password_hash FROM devices WHERE id = $1', ['wl-1']);
  t.match(row.rows[0]?.password_hash, /^scrypt\$/, 'stored as an scrypt hash');
  t.notOk(JSON.stringify((await gw.api('GET', '/devices/wl-1')).body).includes(r.body.credentials.password), 'never shown again');
  const loc = r.body.device.location;
  t.same(loc.input, { lon: 121.23, lat: 31.03, crs: 'gcj02' }, 'the input is kept');
  t.ok(Math.abs(loc.lon - 121.23) > 0.003 && Math.abs(loc.lon - 121.23) < 0.01, `converted lon ${loc.lon}`);
  const bd = await gw.api('POST', '/devices', { body: device('wl-2', { location: { lon: 121.2365, lat: 31.0361, crs: 'bd09' } }) });
  t.ok(Math.abs(bd.body.device.location.lon - 121.2255) < 0.001, `BD-09 converted (${bd.body.device.location.lon})`);
  const dup = await gw.api('POST', '/devices', { body: device('wl-1') });
  t.equal(dup.status, 409);
  t.equal(dup.body.error.code, 'GW_ERR_CONFLICT');
  const bad = await gw.api('POST', '/devices', { body: device('wl-3', { adapter: 'no-such' }) });
  t.equal(bad.status, 404);
  t.equal(bad.body.error.code, 'GW_ERR_UNKNOWN_ADAPTER');
  const badBlock = await gw.api('POST', '/devices', { body: device('wl-4', { blockCode: '310117006-01' }) });
  t.equal(badBlock.status, 400);
  t.match(badBlock.body.error.message, /blockCode/);
  const badType = await gw.api('POST', '/devices', { body: { ...device('wl-5'), location: { lon: 'east', lat: 31 } } });
  t.equal(badType.status, 400);
  t.equal(badType.body.error.code, 'GW_ERR_VALIDATION');
  t.match(JSON.stringify(badType.body.error), /location\/lon/, 'names the field');
});

t.test('audit log records every device write with before and after, without secrets', async (t) => {
  const gw = await gateway(t);
  await provision(gw.api, { id: 'au-1' });
  await gw.api('PATCH', '/devices/au-1', { body: { name: 'Renamed' } });
  await gw.api('POST', '/devices/au-1/credentials');
  await gw.api('DELETE', '/devices/au-1');
  const audit = await gw.api('GET', '/audit?target=device:au-1');
  t.equal(audit.status, 200);
  const actions = audit.body.records.map((e: { action: string }) => e.action);
  t.same(actions, ['device.create', 'device.update', 'device.rotate_credentials', 'device.delete']);
  const update = audit.body.records[1];
  t.equal(update.before.name, 'Test au-1');
  t.equal(update.after.name, 'Renamed');
  t.equal(update.actor.role, 'admin');
  t.notMatch(JSON.stringify(audit.body), /scrypt\$/, 'no password hash in the audit log');
});

t.test('bulk import: every bad row by line and field; nothing imported unless skipInvalid', async (t) => {
  const gw = await gateway(t);
  const csv = [
    'id,name,kind,adapter,lon,lat,crs,blockCode,tags',
    'c-1,Good one,waterlogging,waterlogging-json,121.23,31.03,gcj02,310117006-01-003-012,road;flood',
    'c-2,Bad kind,lava,waterlogging-json,121.23,31.03,wgs84,310117006-01-003-012,',
    'c-3,Bad lon,waterlogging,waterlogging-json,east,31.03,wgs84,310117006-01-003-012,',
    'c-4,Bad block,waterlogging,waterlogging-json,121.23,31.03,wgs84,3101,',
    'c-1,Duplicate,waterlogging,waterlogging-json,121.23,31.03,wgs84,310117006-01-003-012,',
  ].join('\n');
  const r = await gw.api('POST', '/devices/import', { raw: csv, headers: { 'content-type': 'text/csv' } });
  t.equal(r.status, 422);
  t.equal(r.body.error.code, 'GW_ERR_IMPORT_ROWS');
  const fields = r.body.error.details.map((d: { field: string }) => d.field);
  t.ok(fields.includes('line 3: kind'), 'line 3 kind');
  t.ok(fields.includes('line 4: lon'), 'line 4 lon');
  t.ok(fields.some((f: string) => f.startsWith('line 5: blockCode')), 'line 5 blockCode');
  t.ok(fields.includes('line 6: id'), 'line 6 duplicate id');
  t.equal((await gw.api('GET', '/devices')).body.devices.length, 0, 'nothing imported');
  const skip = await gw.api('POST', '/devices/import?skipInvalid=true', { raw: csv, headers: { 'content-type': 'text/csv' } });
  t.equal(skip.status, 200);
  t.equal(skip.body.imported, 1, 'the good row imported');
  t.equal(skip.body.devices[0].credentials.username, 'c-1');
  t.same(skip.body.devices[0].device.tags, ['road', 'flood']);
  t.equal(skip.body.errors.length, 4, 'the bad rows reported');
  const json = await gw.api('POST', '/devices/import', { body: [device('j-1'), { ...device('j-2'), kind: 42 }] });
  t.equal(json.status, 422);
  t.match(JSON.stringify(json.body.error.details), /line 2: kind/);
});

t.test('credential rotation and status history from connect and last will', async (t) => {
  const gw = await gateway(t);
  const dev = await provision(gw.api, { id: 'st-1' });
  // An ops key reads the retained status topic over MQTT (username "apikey", the key as password).
  const opsKey = await key(gw.api, 'ops');
  const watcher = await mqtt.connectAsync(gw.urls.mqtt, { username: 'apikey', password: opsKey, clientId: 'watcher', reconnectPeriod: 0 });
  t.teardown(() => watcher.endAsync());
  const seen: string[] = [];
  watcher.on('message', (_topic, payload) => seen.push((JSON.parse(payload.toString()) as { status: string }).status));
  await watcher.subscribeAsync('cityops/v1/devices/+/status', { qos: 1 });
  const c = await connectDevice(gw.urls.mqtt, dev.id, dev.password, { will: { topic: 'cityops/v1/devices/st-1/status', payload: Buffer.from('{"status":"offline"}'), qos: 1, retain: true } });
  // An abrupt loss of the connection (no DISCONNECT): the will fires and the device is offline.
  c.stream.destroy();
  await new Promise((r) => setTimeout(r, 300));
  const hist = await gw.api('GET', '/devices/st-1/status-history');
  t.same(hist.body.events.map((e: { status: string }) => e.status), ['offline', 'online'], 'online then offline, newest first');
  t.match(hist.body.events[0].reason, /connection lost/);
  // The device's own will lands on the same topic, so "offline" may come twice.
  t.same(seen.filter((s, i) => s !== seen[i - 1]), ['online', 'offline'], 'the status topic follows the registry: online, then offline');
  const rotated = await gw.api('POST', '/devices/st-1/credentials');
  t.equal(rotated.status, 200, JSON.stringify(rotated.body));
  await t.rejects(connectDevice(gw.urls.mqtt, dev.id, dev.password), 'the old password stops working');
  const c2 = await connectDevice(gw.urls.mqtt, dev.id, rotated.body.credentials.password);
  await c2.endAsync();
});

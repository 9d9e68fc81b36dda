import t from 'tap';
import { getSensorAdapter } from '../../adapters/index.js';
import { decodeAndValidate } from '../../adapters/validate.js';
import { adapterMix, buildPool, MAX_READINGS_PER_MESSAGE, planDevices } from './payloads.js';
import { PacketReader, publishPacketId } from './wire.js';

t.test('every adapter of the mix: packets decode with the gateway decoder, 1..4 readings, no two share a reading time', async (t) => {
  const now = Date.now();
  for (const device of planDevices(adapterMix.length)) {
    const adapter = getSensorAdapter(device.adapter)!;
    const pool = buildPool(device, 50, now);
    const keys = new Set<string>();
    let n = 0;
    const reader = new PacketReader((p) => {
      const i = n++;
      const topicLen = p.body.readUInt16BE(0);
      t.equal(p.body.subarray(2, 2 + topicLen).toString(), `cityops/v1/devices/${device.id}/up`);
      t.equal(publishPacketId(p.body), 0, 'id left for the sender to patch');
      const res = decodeAndValidate(adapter, p.body.subarray(2 + topicLen + 2), { deviceId: device.id, topic: 'up', receivedAt: now });
      if (!res.ok) return t.fail(`${device.adapter} packet ${i}: ${res.error.message}`);
      t.equal(res.readings.length, pool.readings[i], `${device.adapter} packet ${i} reading count`);
      t.ok(res.readings.length >= 1 && res.readings.length <= MAX_READINGS_PER_MESSAGE);
      for (const r of res.readings) {
        t.ok(r.time !== undefined && r.time < now, 'device time in the past');
        keys.add(`${r.metric}@${r.time}`);
      }
    });
    reader.push(pool.packets);
    t.equal(n, 50, `${device.adapter}: 50 packets`);
    let readings = 0;
    for (let i = 0; i < 50; i++) readings += pool.readings[i]!;
    t.equal(keys.size, readings, `${device.adapter}: every (metric, time) is distinct`);
  }
});

t.test('device ids: one per connection, the mix in turn, distinct SL 651 station digits', async (t) => {
  const devices = planDevices(14);
  t.equal(new Set(devices.map((d) => d.id)).size, 14);
  t.same(devices.slice(0, 6).map((d) => d.adapter), adapterMix.map((m) => m.adapter));
  const stations = devices.filter((d) => d.adapter === 'water-level-sl651').map((d) => d.id.replace(/\D/g, ''));
  t.equal(new Set(stations).size, stations.length);
});

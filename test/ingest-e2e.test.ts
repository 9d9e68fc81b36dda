/**
 * The whole path from a QoS 1 PUBLISH to a durable row, in both storage modes: every
 * acknowledged reading is stored, bad payloads become dead letters, and the HTTP read side
 * (latest, history, dead letters) shows them.
 */
import t from 'tap';
import { freshDatabase, stopSharedPostgres } from './helpers/postgres.js';
import { startTestGateway, provision, connectDevice, waterloggingPayload, tempDir } from './helpers/gateway.js';

t.teardown(stopSharedPostgres);

const modes: Array<{ name: string; url: () => Promise<{ url: string; drop(): Promise<void> }> }> = [
  { name: 'PostgreSQL', url: () => freshDatabase() },
  { name: 'embedded PGlite + TimescaleDB', url: async () => ({ url: '', drop: async () => undefined }) },
];

for (const mode of modes) {
  t.test(`QoS 1 readings are acknowledged, stored and queryable (${mode.name})`, async (t) => {
    const db = await mode.url();
    const dir = tempDir();
    const gw = await startTestGateway({ databaseUrl: db.url, dataDir: dir.dir });
    t.teardown(async () => {
      await gw.close();
      await db.drop();
      dir.remove();
    });
    t.equal(gw.db.mode, mode.name.includes('Timescale') ? 'timescaledb' : 'postgres', 'storage mode detected');
    const dev = await provision(gw.api);
    const client = await connectDevice(gw.urls.mqtt, dev.id, dev.password);
    const base = Date.now() - 60_000;
    const n = 200;
    await Promise.all(Array.from({ length: n }, (_, i) => client.publishAsync(`cityops/v1/devices/${dev.id}/up`, waterloggingPayload(i, base + i * 10), { qos: 1 })));
    await client.publishAsync(`cityops/v1/devices/${dev.id}/up`, '{"ts": 1, "depth": "deep"}', { qos: 1 });
    await client.publishAsync(`cityops/v1/devices/${dev.id}/up`, JSON.stringify({ ts: Date.now() + 3600_000, seq: 1, depth: 5 }), { qos: 1 });
    await client.publishAsync(`cityops/v1/devices/${dev.id}/event`, waterloggingPayload(1), { qos: 1 });
    await client.endAsync();
    await gw.pipeline.flushed();

    const count = await gw.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE device_id = $1', [dev.id]);
    t.equal(count.rows[0]?.n, n * 2, 'every acknowledged reading (2 per message) is a row');

    const latest = await gw.api('GET', `/devices/${dev.id}/latest`);
    t.equal(latest.status, 200);
    t.same(latest.body.readings.map((r: { metric: string }) => r.metric).sort(), ['battery_pct', 'depth_cm']);
    t.equal(latest.body.readings.find((r: { metric: string }) => r.metric === 'depth_cm').value, (n - 1) % 300);

    const hist = await gw.api('GET', `/devices/${dev.id}/readings?metric=depth_cm&from=${new Date(base - 1000).toISOString()}&to=${new Date().toISOString()}`);
    t.equal(hist.status, 200);
    t.equal(hist.body.readings.length, n, 'history has every reading');
    const buckets = await gw.api('GET', `/devices/${dev.id}/readings?metric=depth_cm&bucket=1h&from=${new Date(base - 3600_000).toISOString()}&to=${new Date(Date.now() + 1000).toISOString()}`);
    t.equal(buckets.status, 200);
    const total = buckets.body.readings.reduce((s: number, b: { count: number }) => s + b.count, 0);
    t.equal(total, n, 'hourly buckets count every reading');

    const dead = await gw.api('GET', `/dead-letters?deviceId=${dev.id}`);
    t.same(dead.body.items.map((d: { reasonCode: string }) => d.reasonCode).sort(), ['FUTURE_TIMESTAMP', 'MISSING_FIELD', 'UNSUPPORTED'], 'the malformed, the future-stamped and the wrong-topic payloads are dead letters');
    t.ok(dead.body.items.some((d: { reasonCode: string }) => d.reasonCode === 'FUTURE_TIMESTAMP'), 'future timestamp rejected');
    t.ok(dead.body.items.every((d: { reason: string }) => d.reason.length > 10), 'each says why');
  });
}

/**
 * The database goes away under load: ingest carries on into the spool, the spool drains when the
 * database is back, and every acknowledged reading is stored. With the spool at its quota, new
 * publishes are refused (never acknowledged and lost) and an alarm is raised.
 */
import t from 'tap';
import pg from 'pg';
import type { Test } from 'tap';
import { startPostgres, type PostgresCluster } from './helpers/postgres.js';
import { startTestGateway, provision, connectDevice, waterloggingPayload, tempDir } from './helpers/gateway.js';

async function clusterWithDatabase(t: Test): Promise<{ cluster: PostgresCluster; url: string }> {
  const cluster = await startPostgres();
  t.teardown(() => cluster.destroy());
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE cityops');
  await admin.end();
  return { cluster, url: cluster.adminUrl.replace(/\/postgres$/, '/cityops') };
}

async function countReadings(url: string, deviceId: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE device_id = $1', [deviceId]);
    return r.rows[0]?.n ?? 0;
  } finally {
    await c.end();
  }
}

t.test('database stopped mid-ingest and restarted: every acknowledged reading is stored', async (t) => {
  const { cluster, url } = await clusterWithDatabase(t);
  const dir = tempDir();
  t.teardown(dir.remove);
  const gw = await startTestGateway({ databaseUrl: url, dataDir: dir.dir });
  t.teardown(() => gw.close());
  const dev = await provision(gw.api);
  const client = await connectDevice(gw.urls.mqtt, dev.id, dev.password);
  t.teardown(() => client.endAsync());
  const topic = `cityops/v1/devices/${dev.id}/up`;
  let acked = 0;
  const publish = async (from: number, n: number) => {
    await Promise.all(Array.from({ length: n }, (_, i) => client.publishAsync(topic, waterloggingPayload(from + i, Date.now() - 100_000 + from + i), { qos: 1 }).then(() => void acked++)));
  };
  await publish(0, 300);
  await cluster.stop();
  t.equal(await gw.db.ping(), false, 'the database is down');
  await publish(300, 300);
  t.equal(acked, 600, 'publishes are acknowledged while the database is down (spooled)');
  t.ok(gw.pipeline.spool.stats().records > 0, 'the spool holds the backlog');
  await cluster.start();
  await gw.pipeline.flushed();
  t.equal(await countReadings(url, dev.id), acked * 2, 'every acknowledged reading (2 per message) is stored after recovery');
  t.equal(gw.pipeline.spool.stats().records, 0, 'the spool drained');
});

t.test('spool quota: over it, publishes are refused and not acknowledged; an alarm is raised', async (t) => {
  const { cluster, url } = await clusterWithDatabase(t);
  const dir = tempDir();
  t.teardown(dir.remove);
  const gw = await startTestGateway({ databaseUrl: url, dataDir: dir.dir, overrides: { 'ingest.spoolMaxBytes': 1024 * 1024 } });
  t.teardown(() => gw.close());
  const dev = await provision(gw.api);
  await cluster.stop();
  const topic = `cityops/v1/devices/${dev.id}/up`;
  let acked = 0;
  let refusedAt = -1;
  let client = await connectDevice(gw.urls.mqtt, dev.id, dev.password);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  // Each record is a few hundred bytes: 1 MiB fills within ~10,000 messages.
  for (let i = 0; i < 20_000 && refusedAt < 0; i += 100) {
    const batch = Array.from({ length: 100 }, (_, k) =>
      client.publishAsync(topic, waterloggingPayload(i + k, Date.now() - 100_000 + i + k), { qos: 1 }).then(() => void acked++, () => undefined),
    );
    const winner = await Promise.race([Promise.all(batch).then(() => 'ok'), closed.then(() => 'closed')]);
    if (winner === 'closed') refusedAt = i;
  }
  t.ok(refusedAt > 0, `the gateway refused a publish once the spool was full (after ${acked} acknowledged)`);
  t.equal((await gw.metrics.spoolFull.get()).values[0]?.value, 1, 'spool-full alarm metric is 1');
  t.equal(gw.pipeline.spool.stats().full, true, 'the spool says it is full');
  client.end(true);
  await cluster.start();
  await gw.pipeline.flushed();
  // Publishes in flight when the connection closed may be spooled without their PUBACK: the
  // device sends them again and the idempotent insert keeps one copy. So: at least every ack.
  const stored = await countReadings(url, dev.id);
  t.ok(stored >= acked * 2, `every acknowledged reading is stored (${stored} rows for ${acked} acknowledged messages)`);
  // With room again, publishes are accepted.
  client = await connectDevice(gw.urls.mqtt, dev.id, dev.password);
  await client.publishAsync(topic, waterloggingPayload(999_999), { qos: 1 });
  await client.endAsync();
  await gw.pipeline.flushed();
  t.equal(await countReadings(url, dev.id), stored + 2, 'accepted again after the spool drained');
  t.equal((await gw.metrics.spoolFull.get()).values[0]?.value, 0, 'alarm cleared');
});

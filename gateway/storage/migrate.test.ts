import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { listMigrations, migrate } from './migrate.js';
import { openPg } from './pg-driver.js';
import { migrationsSubset, postgresTestDb, storageModes, tempDir, testLogger } from './testing.js';
import { freshDatabase, stopSharedPostgres } from '../../test/helpers/postgres.js';

t.teardown(stopSharedPostgres);

function migrationsDir(t: Parameters<typeof tempDir>[0], files: Record<string, string>): string {
  const dir = tempDir(t, 'cityops-migrations-');
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

const tables = async (db: { query: (sql: string) => Promise<{ rows: unknown[] }> }) =>
  ((await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows as { tablename: string }[]).map((r) => r.tablename);

t.test('files are ordered by stem, each plain file before its .timescale.sql companion', async (t) => {
  const dir = migrationsDir(t, { '002_x.sql': '', '001_a.timescale.sql': '', '001_a_b.sql': '', '001_a.sql': '' });
  t.same(listMigrations('timescaledb', dir).map((m) => m.id), ['001_a', '001_a.timescale', '001_a_b', '002_x']);
  t.same(listMigrations('postgres', dir).map((m) => m.id), ['001_a', '001_a_b', '002_x']);
});

for (const mode of storageModes) {
  t.test(mode.name, async (t) => {
    // One database per mode (an embedded one is slow to create); subtests use distinct names.
    const db = await mode.open(t, { migrations: false });
    const has = async (table: string) => (await tables(db)).includes(table);

    t.test('each migration applies once; a second run applies nothing', async (t) => {
      const dir = migrationsDir(t, {
        '001_a.sql': `-- statements; one with a ';' in a string\nCREATE TABLE a (x text DEFAULT 'a;b');\nINSERT INTO a DEFAULT VALUES;\nCREATE TABLE h (t timestamptz NOT NULL);`,
        // Refuses a transaction block: proves .timescale.sql files run outside one.
        '001_a.timescale.sql': `SELECT create_hypertable('h', by_range('t'), if_not_exists => true);
          CREATE MATERIALIZED VIEW IF NOT EXISTS h_1m WITH (timescaledb.continuous) AS SELECT time_bucket('1 minute', t) AS b, count(*) FROM h GROUP BY 1 WITH DATA;
          CALL refresh_continuous_aggregate('h_1m', NULL, NULL);`,
        '002_b.sql': 'CREATE TABLE b (y int);',
      });
      const expected = db.mode === 'timescaledb' ? ['001_a', '001_a.timescale', '002_b'] : ['001_a', '002_b'];
      t.same(await migrate(db, testLogger(), dir), expected);
      t.same(await migrate(db, testLogger(), dir), [], 'nothing left to apply');
      t.same((await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id')).rows.map((r) => r.id), expected);
      t.same((await db.query<{ x: string }>('SELECT x FROM a')).rows, [{ x: 'a;b' }], 'the INSERT ran once');
      if (db.mode === 'timescaledb') t.equal((await db.query('SELECT * FROM h_1m')).rowCount, 0);
    });

    t.test('a failing plain migration leaves nothing behind and is retried next start', async (t) => {
      const dir = migrationsDir(t, { '101_ok.sql': 'CREATE TABLE ok (x int);', '102_bad.sql': 'CREATE TABLE half (x int); SELECT 1/0;' });
      await t.rejects(migrate(db, testLogger(), dir), { message: /migration 102_bad failed: division by zero/ });
      t.ok(await has('ok'));
      t.notOk(await has('half'), 'the half-done file was rolled back');
      writeFileSync(join(dir, '102_bad.sql'), 'CREATE TABLE half (x int);');
      t.same(await migrate(db, testLogger(), dir), ['102_bad']);
      t.ok(await has('half'));
      t.same(await db.query('SELECT 1 AS one'), { rows: [{ one: 1 }], rowCount: 1 }, 'the connection is usable afterwards');
    });

    t.test('two migrators at once: every file applied exactly once', async (t) => {
      const dir = migrationsDir(t, { '201_slow.sql': 'SELECT pg_sleep(0.3); CREATE TABLE s (x int);', '202_next.sql': 'CREATE TABLE n (x int);' });
      const [a, b] = await Promise.all([migrate(db, testLogger(), dir), migrate(db, testLogger(), dir)]);
      t.same([...(a ?? []), ...(b ?? [])].sort(), ['201_slow', '202_next']);
    });

    t.test('the readings migration', async (t) => {
      await migrate(db, testLogger(), migrationsSubset(t, ['001_readings']));
      for (const table of ['dead_letters', 'device_latest', 'readings']) t.ok(await has(table), table);
      if (db.mode !== 'timescaledb') return;
      const ht = await db.query<{ hypertable_name: string; compression_enabled: boolean }>(`SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = 'readings'`);
      t.same(ht.rows, [{ hypertable_name: 'readings', compression_enabled: true }]);
      const ca = await db.query<{ view_name: string; materialized_only: boolean }>(`SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates WHERE view_name LIKE 'readings%' ORDER BY 1`);
      t.same(ca.rows, [{ view_name: 'readings_1h', materialized_only: false }, { view_name: 'readings_1m', materialized_only: false }], 'real-time aggregation on');
      const jobs = await db.query(`SELECT 1 FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate' AND hypertable_name LIKE 'readings%'`);
      t.equal(jobs.rowCount, 2, 'both aggregates have a refresh policy');
    });
  });
}

t.test('two gateway processes (two pools) migrating one PostgreSQL database at once', async (t) => {
  const fresh = await freshDatabase();
  t.teardown(() => fresh.drop());
  const pools = await Promise.all([0, 1].map(() => openPg({ url: fresh.url, poolSize: 2, logger: testLogger() })));
  t.teardown(() => Promise.all(pools.map((p) => p.close())));
  const dir = migrationsDir(t, { '001_slow.sql': 'SELECT pg_sleep(0.3); CREATE TABLE s (x int);', '002_next.sql': 'CREATE TABLE n (x int);' });
  const results = await Promise.all(pools.map((db) => migrate(db, testLogger(), dir)));
  t.same(results.flat().sort(), ['001_slow', '002_next'], 'no file twice, no error');
  // And against the real files, which others share: all of them apply on a fresh database.
  const db = await postgresTestDb(t);
  t.ok((await tables(db)).includes('readings'));
});

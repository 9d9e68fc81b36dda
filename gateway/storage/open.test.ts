import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { FakeClock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Db } from './db.js';
import { openStorage } from './open.js';
import { queryReadings } from './readings-query.js';
import { writeReadings, type ReadingRow } from './readings-writer.js';
import { startJobRunner } from './timescale-policies.js';
import { tempDir } from './testing.js';
import { freshDatabase, stopSharedPostgres } from '../../test/helpers/postgres.js';

t.teardown(stopSharedPostgres);

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}
function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const database = (over: Partial<{ url: string; compressAfter: string; retainFor: string }> = {}) => ({
  url: '', poolSize: 2, chunkInterval: '1 day', compressAfter: '7 days', retainFor: '400 days', ...over,
});

async function policies(db: Db): Promise<Record<string, string>> {
  const r = await db.query<{ proc_name: string; v: string }>(
    `SELECT proc_name, coalesce(config->>'compress_after', config->>'drop_after') AS v FROM timescaledb_information.jobs WHERE hypertable_name = 'readings' ORDER BY 1`,
  );
  return Object.fromEntries(r.rows.map((x) => [x.proc_name, x.v]));
}

t.test('embedded: TimescaleDB policies follow the configuration across restarts', async (t) => {
  const dataDir = tempDir(t);
  const first = capture();
  const db = await openStorage({ config: { dataDir, database: database() }, logger: first.logger, clock: new FakeClock() });
  t.equal(db.driver, 'pglite');
  t.equal(db.mode, 'timescaledb');
  t.ok(first.lines.some((l) => l.msg === 'storage mode: timescaledb (driver pglite)' && l.component === 'storage'), 'the mode is logged');
  t.same(await policies(db), { policy_compression: '7 days', policy_retention: '400 days' });
  await db.close();

  const second = capture();
  const again = await openStorage({ config: { dataDir, database: database({ compressAfter: '2 days', retainFor: '' }) }, logger: second.logger, clock: new FakeClock() });
  t.same(await policies(again), { policy_compression: '2 days' }, 'compression re-added with the new interval; retention turned off');
  t.ok(second.lines.some((l) => l.feature === 'compression' && l.status === 'applied'));
  t.ok(second.lines.some((l) => l.feature === 'retention' && l.status === 'removed'));
  await again.close();
});

t.test('embedded: compression, retention and aggregate refresh run (PGlite has no background workers)', async (t) => {
  const dataDir = tempDir(t);
  const { logger, lines } = capture();
  const clock = new FakeClock();
  const db = await openStorage({ config: { dataDir, database: database({ compressAfter: '2 days', retainFor: '30 days' }) }, logger, clock });
  t.teardown(() => db.close());
  // The database's own now() decides what is old, so the data is placed relative to real time.
  const nowUs = Date.now() * 1000;
  const day = 86_400_000_000;
  const rows = (ageDays: number, n: number): ReadingRow[] =>
    Array.from({ length: n }, (_, i) => ({ deviceId: 'wl-1', metric: 'level', timeUs: nowUs - ageDays * day + i * 1_000_000, value: ageDays + i / 100, state: null, seq: null }));
  await writeReadings(db, [...rows(40, 10), ...rows(10, 10), ...rows(0, 10)]);

  const runner = startJobRunner({ db, logger, clock });
  t.teardown(() => runner.stop());
  await runner.runDue();
  t.notOk(lines.some((l) => l.msg === 'TimescaleDB job failed'), 'every job ran without error');
  const jobsRan = lines.filter((l) => l.msg === 'TimescaleDB job ran').map((l) => l.proc);
  for (const proc of ['policy_compression', 'policy_retention', 'policy_refresh_continuous_aggregate']) t.ok(jobsRan.includes(proc), `${proc} ran`);

  const chunks = await db.query<{ old: boolean; is_compressed: boolean }>(
    `SELECT range_end < now() - INTERVAL '2 days' AS old, is_compressed FROM timescaledb_information.chunks WHERE hypertable_name = 'readings'`,
  );
  t.ok(chunks.rows.length >= 2);
  t.ok(chunks.rows.every((c) => c.is_compressed === c.old), 'chunks older than compressAfter are compressed, newer ones not');
  const left = await db.query<{ n: number }>(`SELECT count(*) AS n FROM readings`);
  t.equal(left.rows[0]?.n, 20, 'the 40-day-old rows were dropped by retention');

  const from = new Date((nowUs - 11 * day) / 1000);
  const compressed = await queryReadings(db, { deviceId: 'wl-1', metric: 'level', from, to: new Date((nowUs - 9 * day) / 1000), limit: 100 });
  t.same(compressed.map((r) => r.value), rows(10, 10).map((r) => r.value), 'compressed rows read back');
  t.same(await writeReadings(db, rows(10, 10)), { inserted: 0, duplicates: 10 }, 'a replay into a compressed chunk is still harmless');

  // Wiring: openStorage started its own runner on the clock it was given.
  runner.stop();
  const before = lines.filter((l) => l.msg === 'TimescaleDB job ran').length;
  clock.advance(60_000);
  for (let i = 0; i < 300 && lines.filter((l) => l.msg === 'TimescaleDB job ran').length === before; i++) await new Promise((r) => setTimeout(r, 200));
  t.ok(lines.filter((l) => l.msg === 'TimescaleDB job ran').length > before, "openStorage's runner runs jobs when its clock says so");
});

t.test('with database.url: node-postgres, every migration applied, plain PostgreSQL mode logged', async (t) => {
  const fresh = await freshDatabase();
  t.teardown(() => fresh.drop());
  const { logger, lines } = capture();
  const db = await openStorage({ config: { dataDir: '/nonexistent', database: database({ url: fresh.url }) }, logger });
  t.teardown(() => db.close());
  t.equal(db.driver, 'pg');
  t.equal(db.mode, 'postgres');
  t.ok(lines.some((l) => l.msg === 'storage mode: postgres (driver pg)'));
  t.ok(lines.some((l) => l.level === 40 && /TimescaleDB is not active/.test(l.msg)), 'plain mode is a warning');
  const applied = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
  t.ok(applied.rows.some((r) => r.id === '001_readings'));
  t.notOk(applied.rows.some((r) => r.id.endsWith('.timescale')), 'no TimescaleDB files in plain mode');
});

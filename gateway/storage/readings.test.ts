import t from 'tap';
import type { TAP } from 'tap';
import type { Db } from './db.js';
import { isRetryableDbError } from './db.js';
import { latestReadings, listDeadLetters, queryReadings } from './readings-query.js';
import { insertDeadLetter, writeReadings, type ReadingRow } from './readings-writer.js';
import { migrationsSubset, storageModes } from './testing.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';

t.teardown(stopSharedPostgres);

const base = Date.UTC(2026, 0, 1) * 1000; // epoch µs
const sec = 1_000_000;
const row = (deviceId: string, metric: string, timeUs: number, value: number | null, state: string | null = null, seq: number | null = null): ReadingRow => ({ deviceId, metric, timeUs, value, state, seq });
const near = (a: number | null | undefined, b: number) => a !== null && a !== undefined && Math.abs(a - b) < 1e-9;

async function refreshAggregates(db: Db): Promise<void> {
  if (db.mode !== 'timescaledb') return;
  await db.query(`CALL refresh_continuous_aggregate('readings_1m', NULL, NULL)`);
  await db.query(`CALL refresh_continuous_aggregate('readings_1h', NULL, NULL)`);
}

for (const mode of storageModes) {
  t.test(mode.name, async (t) => {
    const db = await mode.open(t, { migrations: migrationsSubset(t, ['001_']) });

    t.test('a batch written twice is stored once', async (t) => {
      const batch = Array.from({ length: 500 }, (_, i) => row(`replay-${i % 7}`, 'level', base + i, i / 10, null, i));
      t.same(await writeReadings(db, batch), { inserted: 500, duplicates: 0 });
      t.same(await writeReadings(db, batch), { inserted: 0, duplicates: 500 });
      // A batch overlapping the last one: only the new half goes in.
      const overlap = batch.slice(250).concat(Array.from({ length: 250 }, (_, i) => row('replay-new', 'level', base + i, 1)));
      t.same(await writeReadings(db, overlap), { inserted: 250, duplicates: 250 });
      const n = await db.query<{ n: number }>(`SELECT count(*) AS n FROM readings WHERE device_id LIKE 'replay-%'`);
      t.equal(n.rows[0]?.n, 750);
      t.same(await writeReadings(db, []), { inserted: 0, duplicates: 0 });
    });

    t.test('microseconds survive the round trip, in order', async (t) => {
      const times = [base + 3, base + 1, base + 2, base + 999_999, base + sec];
      await writeReadings(db, times.map((tu, i) => row('us', 'level', tu, i)));
      const got = await queryReadings(db, { deviceId: 'us', from: new Date(base / 1000), to: '2026-01-01T00:00:02Z', limit: 10 });
      t.same(got.map((r) => r.time), [
        '2026-01-01T00:00:00.000001Z',
        '2026-01-01T00:00:00.000002Z',
        '2026-01-01T00:00:00.000003Z',
        '2026-01-01T00:00:00.999999Z',
        '2026-01-01T00:00:01.000000Z',
      ]);
      t.same(got.map((r) => r.value), [1, 2, 0, 3, 4]);
      const desc = await queryReadings(db, { deviceId: 'us', from: '2026-01-01T00:00:00.000002Z', to: '2026-01-01T00:00:01Z', limit: 2, order: 'desc' });
      t.same(desc.map((r) => r.time), ['2026-01-01T00:00:00.999999Z', '2026-01-01T00:00:00.000003Z'], 'from inclusive, to exclusive, newest first');
    });

    t.test('text values round-trip exactly, whatever they hold', async (t) => {
      const states = ['NULL', '', 'say "hi"', 'back\\slash', '{a,b}', '多云 ☔', 'line\nbreak'];
      await writeReadings(db, states.map((s, i) => row('text "dev" \\ 1', 'state', base + i, null, s)));
      const got = await queryReadings(db, { deviceId: 'text "dev" \\ 1', metric: 'state', from: new Date(base / 1000), to: '2026-01-02T00:00:00Z', limit: 20 });
      t.same(got.map((r) => r.state), states);
      t.same(got.map((r) => r.value), states.map(() => null));
    });

    t.test('rows that can never be written are refused with GW_ERR_VALIDATION', async (t) => {
      await t.rejects(writeReadings(db, [row('bad', 'level', base + 0.5, 1)]), { code: 'GW_ERR_VALIDATION', message: /reading 0/ });
      await t.rejects(writeReadings(db, [row('bad', 'level', base, 1), row('bad', 'level', base + 1, 1, 'nul\u0000')]), { code: 'GW_ERR_VALIDATION', message: /reading 1/ });
      await t.rejects(writeReadings(db, [row('bad', 'level', base, 1, null, 1.5)]), { code: 'GW_ERR_VALIDATION' });
      const n = await db.query<{ n: number }>(`SELECT count(*) AS n FROM readings WHERE device_id = 'bad'`);
      t.equal(n.rows[0]?.n, 0, 'nothing of a refused batch is stored');
      t.notOk(isRetryableDbError(await writeReadings(db, [row('bad', 'level', base + 0.5, 1)]).catch((e: unknown) => e)));
    });

    t.test('latest values keep the newest reading per device and metric', async (t) => {
      await writeReadings(db, [row('lat', 'level', base + 10, 1, null, 1), row('lat', 'level', base + 30, 3, null, 3), row('lat', 'level', base + 20, 2, null, 2), row('lat', 'battery', base + 5, 3.6)]);
      await writeReadings(db, [row('lat', 'level', base + 25, 99, null, 9)]); // late, older than what we have
      await writeReadings(db, [row('lat', 'battery', base + 6, null, 'low')]);
      t.same(await latestReadings(db, 'lat'), [
        { metric: 'battery', time: '2026-01-01T00:00:00.000006Z', value: null, state: 'low', seq: null },
        { metric: 'level', time: '2026-01-01T00:00:00.000030Z', value: 3, state: null, seq: 3 },
      ]);
      t.same(await latestReadings(db, 'nobody'), []);
    });

    t.test('bucketed queries: avg/min/max/count/last per minute, hour and day', async (t) => {
      await writeReadings(db, [
        row('agg', 'level', base, 1), row('agg', 'level', base + 10 * sec, 2), row('agg', 'level', base + 20 * sec, 3),
        row('agg', 'level', base + 60 * sec, 10), row('agg', 'level', base + 70 * sec, 20),
        row('agg', 'level', base + 3600 * sec, 100), row('agg', 'level', base + 3601 * sec, null, 'alarm'),
        row('agg', 'level', base + 86400 * sec, 5),
        row('agg', 'battery', base + 5 * sec, 3.6),
      ]);
      const check = async (t: Pick<TAP, 'same' | 'ok' | 'equal'>, label: string) => {
        const m = await queryReadings(db, { deviceId: 'agg', metric: 'level', bucket: '1m', from: '2026-01-01T00:00:30Z', to: '2026-01-01T00:01:01Z', limit: 10 });
        t.same(m.map((b) => [b.time, b.avg, b.min, b.max, b.count, b.last]), [
          ['2026-01-01T00:00:00.000000Z', 2, 1, 3, 3, 3],
          ['2026-01-01T00:01:00.000000Z', 15, 10, 20, 2, 20],
        ], `${label}: minutes overlapping [from, to), whole-bucket aggregates`);
        const all = await queryReadings(db, { deviceId: 'agg', bucket: '1m', from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:01:00Z', limit: 10 });
        t.same(all.map((b) => [b.metric, b.count]), [['battery', 1], ['level', 3]], `${label}: every metric when none is named`);
        const h = await queryReadings(db, { deviceId: 'agg', metric: 'level', bucket: '1h', from: '2026-01-01T00:00:00Z', to: '2026-01-01T02:00:00Z', limit: 10 });
        t.equal(h.length, 2);
        t.ok(near(h[0]?.avg, 7.2), `${label}: hour avg`);
        t.same(h.map((b) => [b.min, b.max, b.count]), [[1, 20, 5], [100, 100, 2]]);
        t.same(h.map((b) => [b.last, b.lastState]), [[20, null], [null, 'alarm']], `${label}: last is the last row's value and state`);
        const d = await queryReadings(db, { deviceId: 'agg', metric: 'level', bucket: '1d', from: '2026-01-01T12:00:00Z', to: '2026-01-03T00:00:00Z', limit: 10 });
        t.same(d.map((b) => b.time), ['2026-01-01T00:00:00.000000Z', '2026-01-02T00:00:00.000000Z']);
        t.ok(near(d[0]?.avg, 136 / 6), `${label}: day avg weighs every value, not the hourly averages`);
        t.same(d.map((b) => [b.min, b.max, b.count, b.last, b.lastState]), [[1, 100, 7, null, 'alarm'], [5, 5, 1, 5, null]]);
        const limited = await queryReadings(db, { deviceId: 'agg', metric: 'level', bucket: '1d', from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', limit: 10 });
        t.equal(limited.length, 1, `${label}: a bucket starting at \`to\` is not returned`);
      };
      // Real-time aggregation first (nothing materialized yet), then from the materialized views.
      await t.test('before refresh', (t) => check(t, 'before refresh'));
      await refreshAggregates(db);
      await t.test('after refresh', (t) => check(t, 'after refresh'));
    });

    t.test('dead letters: stored with their reason, listed by cursor and filter', async (t) => {
      const at = Date.UTC(2026, 0, 1, 8);
      const ids = [
        await insertDeadLetter(db, { receivedAt: at, source: 'cityops/v1/devices/d1/up', deviceId: 'd1', adapter: 'acme-wl100', reasonCode: 'GW_ERR_DECODE', reason: 'bad checksum', payload: new Uint8Array([0x68, 0x00, 0xff]) }),
        await insertDeadLetter(db, { receivedAt: at + 1, source: 'http:hikvision', reasonCode: 'GW_ERR_UNKNOWN_DEVICE', reason: 'no such device', payload: '{"id":"x"}' }),
        await insertDeadLetter(db, { receivedAt: at + 2, source: 'cityops/v1/devices/d1/up', deviceId: 'd1', reasonCode: 'GW_ERR_OUT_OF_RANGE', reason: 'level 99 m', payload: Buffer.from('{}') }),
      ];
      t.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, 'ids increase');
      const p1 = await listDeadLetters(db, { limit: 2 });
      t.same(p1.items.map((d) => d.id), ids.slice(0, 2));
      t.equal(p1.nextCursor, ids[1]);
      t.same(p1.items[0], { id: ids[0], receivedAt: '2026-01-01T08:00:00.000000Z', source: 'cityops/v1/devices/d1/up', deviceId: 'd1', adapter: 'acme-wl100', reasonCode: 'GW_ERR_DECODE', reason: 'bad checksum', payload: Buffer.from([0x68, 0x00, 0xff]) });
      t.ok(Buffer.isBuffer(p1.items[1]?.payload));
      t.equal(p1.items[1]?.payload.toString('utf8'), '{"id":"x"}');
      const p2 = await listDeadLetters(db, { after: p1.nextCursor ?? undefined, limit: 2 });
      t.same(p2.items.map((d) => d.id), [ids[2]]);
      t.equal(p2.nextCursor, null);
      t.same((await listDeadLetters(db, { limit: 10, deviceId: 'd1' })).items.map((d) => d.reasonCode), ['GW_ERR_DECODE', 'GW_ERR_OUT_OF_RANGE']);
      t.same((await listDeadLetters(db, { limit: 10, source: 'http:hikvision' })).items.map((d) => d.id), [ids[1]]);
    });

    t.test('database errors keep their SQLSTATE and say whether a retry can help', async (t) => {
      const e = await db.query('SELECT no_such_column FROM readings').catch((err: unknown) => err);
      t.ok(e instanceof Error);
      t.match(e, { code: '42703', message: /no_such_column/ });
      t.notOk(isRetryableDbError(e), 'a schema error will not go away by retrying');
      t.ok(isRetryableDbError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })));
      t.ok(isRetryableDbError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })));
    });
  });
}

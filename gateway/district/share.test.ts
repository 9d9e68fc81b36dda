import t from 'tap';
import { pino } from 'pino';
import { Value } from 'typebox/value';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import type { Queryable } from '../storage/db.js';
import { createOutbox } from '../outbox/outbox.js';
import { createShift } from '../duty/roster.js';
import { createUnit } from '../duty/units.js';
import { harness, T0, transition } from '../warnings/test-support.js';
import { SharedMessage } from './messages.js';
import { createDistrictShare } from './share.js';
import { periodStart, shanghaiDay } from './share-data.js';
import type { DistrictPayload } from './types.js';

t.teardown(stopSharedPostgres);

const hourMs = 3600 * 1000;
const BLOCK = '31011700600100301';

async function device(q: Queryable, id: string, kind: string, status: string, lastSeenMs: number | null, exercise = false): Promise<void> {
  await q.query(
    `INSERT INTO devices (id, name, kind, adapter, lon, lat, input_lon, input_lat, input_crs, block_code, exercise, password_hash, credentials_rotated_at, status, last_seen, created_at, updated_at)
     VALUES ($1, $1, $2, 'generic-json', 121.2, 31.0, 121.2, 31.0, 'wgs84', $3, $4, 'x', now(), $5, $6, now(), now())`,
    [id, kind, BLOCK, exercise, status, lastSeenMs === null ? null : new Date(lastSeenMs).toISOString()],
  );
}

const people = {
  duty_officer: [{ id: 's-1', name: '张三丰', phone: '13812345678' }, { id: 's-2', name: '欧阳娜娜', phone: '13987654321' }],
  leader_on_duty: [{ id: 's-3', name: '李四', phone: '021-12345678' }],
  head: [],
};

async function rows(q: Queryable): Promise<Array<{ key: string; order_key: string; payload: DistrictPayload }>> {
  return (await q.query<{ key: string; order_key: string; payload: DistrictPayload }>("SELECT idem_key AS key, order_key, payload FROM outbox WHERE channel = 'district' ORDER BY id")).rows;
}

void t.test('periods start at Beijing midnight; the day is the Beijing day', async (t) => {
  t.equal(periodStart(T0 + 5 * 60_000, hourMs), T0, 'hours');
  t.equal(new Date(periodStart(T0, 24 * hourMs)).toISOString(), '2026-05-31T16:00:00.000Z', 'a day starts at 00:00 +08:00');
  t.same(shanghaiDay(Date.UTC(2026, 4, 31, 16, 30)), { startMs: Date.UTC(2026, 4, 31, 16), day: '2026-06-01' });
});

void t.test('three shared messages per period: devices, warnings, masked duty roster; once per period', async (t) => {
  const h = await harness(t);
  const { db, clock } = h;
  await device(db, 'wl-1', 'waterlogging', 'online', T0 - 60_000);
  await device(db, 'wl-2', 'waterlogging', 'offline', T0 - 2 * hourMs);
  await device(db, 'sm-1', 'smoke', 'unknown', null, true);
  await h.apply([transition('wl-1', 0, 4, T0 - 30 * 60_000)]);
  await h.apply([transition('wl-2', 0, 2, T0 - 20 * 60_000), transition('wl-2', 2, 0, T0 - 10 * 60_000)]);
  await h.apply([transition('wl-9', 0, 3, T0 - 5 * 60_000, { exercise: true })]);
  await h.apply([transition('wl-3', 0, 1, T0 - 2 * hourMs)]);
  await db.transaction(async (tx) => {
    await createShift(tx, { startsAt: new Date(T0 - 2 * hourMs).toISOString(), endsAt: new Date(T0 + 6 * hourMs).toISOString(), blocks: [], kinds: [], people }, T0);
    await createShift(tx, { startsAt: new Date(T0 + 30 * hourMs).toISOString(), endsAt: new Date(T0 + 32 * hourMs).toISOString(), blocks: [], kinds: [], people }, T0);
    await createUnit(tx, { id: 'water-bureau', name: '区水务局', tier: 1, contacts: [{ name: '王五', role: '联络员', phone: '13700001111' }], blocks: [], kinds: [] }, T0);
  });

  const outbox = createOutbox({ db, clock, logger: pino({ level: 'silent' }), config: h.config.outbox });
  const share = createDistrictShare({ db, outbox, clock, logger: pino({ level: 'silent' }), config: h.config });
  clock.advance(5 * 60_000);
  t.same(await share.shareNow(), ['devices', 'warnings', 'duty']);
  t.same(await share.shareNow(), [], 'the same period again: nothing');
  const other = createDistrictShare({ db, outbox, clock, logger: pino({ level: 'silent' }), config: h.config });
  t.same(await other.shareNow(), [], 'another process in the same period: nothing');

  const out = await rows(db);
  t.same(out.map((r) => r.key), [`share:devices:${T0}`, `share:warnings:${T0}`, `share:duty:${T0}`]);
  t.same(out.map((r) => r.order_key), ['share:devices', 'share:warnings', 'share:duty']);
  t.same(out.map((r) => r.payload.path), ['/shared/devices', '/shared/warnings', '/shared/duty']);
  for (const r of out) t.ok(Value.Check(SharedMessage, r.payload.body), `${r.key} matches the documented schema`);
  const [devices, warnings, duty] = out.map((r) => (r.payload.body as { data: Record<string, unknown> }).data);

  t.match(devices, {
    total: 3, byStatus: { online: 1, offline: 1, unknown: 1 },
    byKind: { waterlogging: { online: 1, offline: 1, unknown: 0, total: 2 }, smoke: { unknown: 1, total: 1 } },
  });
  t.same((devices?.['devices'] as unknown[])[2], { id: 'wl-2', kind: 'waterlogging', blockCode: BLOCK, status: 'offline', lastSeen: '2026-06-01T08:00:00.000+08:00', exercise: false });

  t.same(warnings?.['open'], { total: 2, byGrade: { red: 1, blue: 1 }, byKind: { waterlogging: 2 }, byBlock: { '310117006001003012': 2 }, exercise: 1 }, 'wl-1 red and wl-3 blue open; the drill apart');
  t.same(warnings?.['window'], {
    from: '2026-06-01T09:00:00.000+08:00', to: '2026-06-01T10:00:00.000+08:00', raised: { red: 1, yellow: 1 }, cleared: 1, peak: { red: 1, yellow: 1 },
  }, 'the hour before the period: wl-1 and wl-2 raised, wl-2 cleared; wl-3 was earlier');

  t.equal(duty?.['day'], '2026-06-01');
  t.equal((duty?.['shifts'] as unknown[]).length, 1, 'only today\'s shift');
  t.same((duty?.['shifts'] as Array<{ people: unknown }>)[0]?.people, {
    duty_officer: [{ name: '张**', phone: '138****5678' }, { name: '欧***', phone: '139****4321' }],
    leader_on_duty: [{ name: '李*', phone: '021****5678' }],
    head: [],
  });
  t.same(duty?.['units'], [{ id: 'water-bureau', name: '区水务局', tier: 1, blocks: [], kinds: [], onDutyNow: true }]);
  const text = JSON.stringify(out[2]?.payload);
  for (const secret of ['张三丰', '欧阳娜娜', '李四', '王五', '13812345678', '13987654321', '12345678', '13700001111', 's-1']) t.notOk(text.includes(secret), `"${secret}" does not leave`);
});

void t.test('the timer shares within a minute of each period start, not without a district or when shareEveryMs is 0', async (t) => {
  const h = await harness(t);
  const { db, clock } = h;
  const outbox = createOutbox({ db, clock, logger: pino({ level: 'silent' }), config: h.config.outbox });
  let pokes = 0;
  const district = { ...h.config.district, primaryUrl: 'http://district.example' };
  const unconfigured = createDistrictShare({ db, outbox, clock, logger: pino({ level: 'silent' }), config: h.config });
  unconfigured.start();
  await unconfigured.settled();
  t.equal((await rows(db)).length, 0, 'no district endpoint: the timer does not run');
  const share = createDistrictShare({ db, outbox: { enqueue: outbox.enqueue, poke: () => pokes++ }, clock, logger: pino({ level: 'silent' }), config: { district } });
  clock.advance(10 * 60_000);
  share.start();
  await share.settled();
  t.equal((await rows(db)).length, 3, 'the current period at start');
  const minutes = async (n: number) => {
    for (let i = 0; i < n; i++) {
      clock.advance(60_000);
      await share.settled();
      // Let the ticker arm its next check before time moves on.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await minutes(49);
  t.equal((await rows(db)).length, 3, 'not before the next period');
  await minutes(1);
  t.same((await rows(db)).slice(3).map((r) => r.key), [`share:devices:${T0 + hourMs}`, `share:warnings:${T0 + hourMs}`, `share:duty:${T0 + hourMs}`], 'the next period within a minute of its start');
  t.equal(pokes, 2, 'the outbox is woken after each');
  await share.stop();
  clock.advance(2 * hourMs);
  await share.settled();
  t.equal((await rows(db)).length, 6, 'stopped: nothing more');

  const never = createDistrictShare({ db, outbox, clock, logger: pino({ level: 'silent' }), config: { district: { ...district, shareEveryMs: 0 } } });
  never.start();
  t.same(await never.shareNow(), []);
  t.equal((await rows(db)).length, 6);
});

import t from 'tap';
import { pino } from 'pino';
import { FakeClock } from '../core/clock.js';
import { openPg } from '../storage/pg-driver.js';
import { migrate } from '../storage/migrate.js';
import { freshDatabase, stopSharedPostgres } from '../../test/helpers/postgres.js';
import { adapterLookup } from '../adapters/lookup.js';
import { DeviceRegistry } from './registry.js';
import * as repo from './repo.js';

t.teardown(stopSharedPostgres);
const logger = pino({ level: 'silent' });

t.test('per-kind heartbeat timeout marks a silent device offline and records why', async (t) => {
  const fresh = await freshDatabase();
  const db = await openPg({ url: fresh.url, poolSize: 2, logger });
  t.teardown(async () => {
    await db.close();
    await fresh.drop();
  });
  await migrate(db, logger);
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 8));
  const statuses: string[] = [];
  const registry = await DeviceRegistry.open({
    db, logger, clock, adapters: adapterLookup,
    devices: { heartbeatMs: { default: 600_000, smoke: 86_400_000 }, missedHeartbeats: 3 },
    onStatus: (id, status, reason) => statuses.push(`${id}:${status}:${reason}`),
  });
  const base = { location: { lon: 121.23, lat: 31.03, crs: 'wgs84' as const }, blockCode: '310117006-01-003-012', tags: [], exercise: false };
  await registry.create({ ...base, id: 'wl', name: 'gauge', kind: 'waterlogging', adapter: 'waterlogging-json' });
  await registry.create({ ...base, id: 'sm', name: 'smoke', kind: 'smoke', adapter: 'smoke-jtygd-nb' });
  registry.noteActivity('wl', 'message');
  registry.noteActivity('sm', 'message');
  clock.advance(29 * 60_000);
  registry.sweep();
  t.equal(registry.get('wl')?.status, 'online', 'still online within 3 × 10 min');
  clock.advance(2 * 60_000);
  registry.sweep();
  t.equal(registry.get('wl')?.status, 'offline', 'offline after 3 missed 10-minute heartbeats');
  t.equal(registry.get('sm')?.status, 'online', 'a smoke detector reports daily: still online');
  registry.noteActivity('wl', 'message');
  t.equal(registry.get('wl')?.status, 'online', 'back online with its next message');
  await registry.stop();
  const history = await repo.statusHistory(db, 'wl', 10);
  t.same(history.map((h) => h.status), ['online', 'offline', 'online'], 'each change recorded, newest first');
  t.match(history[1]?.reason, /3 heartbeat intervals/);
  t.equal(history[1]?.at, new Date(Date.UTC(2026, 5, 1, 8, 31)).toISOString(), 'recorded at the clock time, not the database now()');
  t.equal(statuses.length, 4, 'the broker was told of every change');
});

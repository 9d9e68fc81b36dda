import t from 'tap';
import { testDb } from '../http/test-support.js';
import { writeReadings, type ReadingRow } from '../storage/readings-writer.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { lastSeenBefore, streamReadings } from './backtest-stream.js';

t.teardown(stopSharedPostgres);

t.test('pages cover the range once, in (time, device, metric) order, whatever the page size', async (t) => {
  const db = await testDb(t);
  const t0 = Date.UTC(2026, 6, 1);
  const rows: ReadingRow[] = [];
  // Ties on time across devices and metrics, gaps, a NaN and a state, and rows outside the range.
  for (let k = -2; k < 60; k++) {
    for (const d of ['b-dev', 'a-dev', 'c/dev']) {
      for (const m of ['level_m', 'alarm_state']) {
        if ((k * 7 + d.length + m.length) % 5 === 0) continue;
        const timeUs = (t0 + Math.floor(k / 3) * 1000) * 1000 + (k % 3);
        rows.push({ deviceId: d, metric: m, timeUs, value: m === 'level_m' ? (k === 7 ? Number.NaN : k / 10) : null, state: m === 'alarm_state' ? `s${k}` : null, seq: k });
      }
    }
  }
  rows.push({ deviceId: 'other', metric: 'level_m', timeUs: t0 * 1000 + 5, value: 1, state: null, seq: null });
  await writeReadings(db, rows);
  const fromMs = t0;
  const toMs = t0 + 15_000;
  const expected = rows
    .filter((r) => r.deviceId !== 'other' && r.timeUs >= fromMs * 1000 && r.timeUs < toMs * 1000)
    .sort((a, b) => a.timeUs - b.timeUs || (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0) || (a.metric < b.metric ? -1 : 1))
    .map((r) => `${r.timeUs} ${r.deviceId} ${r.metric} ${r.value} ${r.state} ${r.seq}`);
  for (const pageRows of [1, 4, 50_000]) {
    const got: string[] = [];
    let pages = 0;
    for await (const p of streamReadings({ db, deviceIds: ['a-dev', 'b-dev', 'c/dev'], fromMs, toMs, pageRows })) {
      pages++;
      for (const r of p.readings) got.push(`${r.timeUs} ${r.deviceId} ${r.metric} ${r.value} ${r.state} ${r.seq}`);
    }
    t.same(got, expected, `page size ${pageRows}: every reading once, in order (${pages} pages)`);
  }
  const seen = await lastSeenBefore(db, ['a-dev', 'b-dev', 'c/dev', 'none'], t0);
  t.ok((seen.get('a-dev') ?? Infinity) < t0, 'the newest reading before the range');
  t.notOk(seen.has('none'));
});

import t from 'tap';
import { storageModes } from '../storage/testing.js';
import { writeReadings, type ReadingRow } from '../storage/readings-writer.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { lastSeenBefore, streamReadings } from './backtest-stream.js';

t.teardown(stopSharedPostgres);

for (const mode of storageModes) t.test(`${mode.name}: pages cover the range once, in (time, device, metric) order, whatever the page size`, async (t) => {
  const db = await mode.open(t);
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
  const read = async (o: Partial<Parameters<typeof streamReadings>[0]>) => {
    const got: string[] = [];
    let pages = 0;
    let through = fromMs;
    for await (const p of streamReadings({ db, deviceIds: ['a-dev', 'b-dev', 'c/dev'], fromMs, toMs, ...o })) {
      pages++;
      for (const r of p.readings) {
        if (r.timeUs < through * 1000) t.fail(`a reading before the point an earlier page said it was through: ${r.timeUs}`);
        got.push(`${r.timeUs} ${r.deviceId} ${r.metric} ${r.value} ${r.state} ${r.seq}`);
      }
      through = p.throughMs;
    }
    t.equal(through, toMs, 'the last page is through the end');
    return { got, pages };
  };
  for (const by of ['time', 'pair'] as const) {
    for (const pageRows of [1, 4, 50_000]) {
      const { got, pages } = await read({ by, pageRows });
      t.same(got, expected, `by ${by}, page size ${pageRows}: every reading once, in order (${pages} pages)`);
    }
    const { got } = await read({ by, metrics: ['level_m'], pageRows: 5 });
    t.same(got, expected.filter((x) => x.includes(' level_m ')), `by ${by}: only the metrics asked for`);
  }
  const seen = await lastSeenBefore(db, ['a-dev', 'b-dev', 'c/dev', 'none'], t0);
  t.ok((seen.get('a-dev') ?? Infinity) < t0, 'the newest reading before the range');
  t.notOk(seen.has('none'));
});

import t from 'tap';
import { databaseSink } from '../ingest/sink.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { runBacktest, type BacktestProgress, type BacktestRun } from './backtest.js';
import { depth, depthRule, rulesFixture, T0, who } from './testing.js';

t.teardown(stopSharedPostgres);

const timeline = (run: BacktestRun) =>
  run.warnings.flatMap((w) => w.timeline.map((e) => `${w.fingerprint} ${levels[e.from ?? 'none']}→${levels[e.to ?? 'none']} @${(e.atMs - T0) / 1000}s`)).sort();
const levels: Record<string, number> = { none: 0, blue: 1, yellow: 2, orange: 3, red: 4 };

/** Two gauges, water rising and receding at different paces, with simultaneous readings. */
function readings() {
  const out = [];
  for (let s = 0; s <= 900; s += 15) {
    const a = s < 450 ? 5 + s / 8 : Math.max(0, 61 - (s - 450) / 5);
    const b = 20 + 10 * Math.sin(s / 60);
    out.push(depth('wl-1', T0 + s * 1000, Math.round(a * 10) / 10), depth('wl-2', T0 + s * 1000, Math.round(b * 10) / 10));
  }
  return out;
}

/** A metric no rule reads, between the depth readings: live evaluation sees it, a backtest leaves it out. */
function withBattery(rows: ReturnType<typeof readings>) {
  const battery = [];
  for (let s = 7; s <= 900; s += 40) battery.push({ ...depth('wl-1', T0 + s * 1000, 3.6), metric: 'battery_v' });
  return [...rows, ...battery].sort((a, b) => a.timeUs - b.timeUs);
}

t.test('a backtest gives exactly the warnings live evaluation gave on the same data', async (t) => {
  const fx = await rulesFixture(t);
  await fx.store.importSet(
    {
      rules: [
        depthRule({ id: 'wl-depth' }),
        depthRule({ id: 'wl-fast', for: '0s', clear: { hysteresis: 0, clearFor: '30s' } }),
        // Timers due between depth readings: live, a battery reading may be the one that runs them.
        depthRule({ id: 'wl-odd', for: '50s', grades: { red: { for: '50s' } }, clear: { hysteresis: 1, clearFor: '70s' } }),
      ],
    },
    who,
  );
  const rt = fx.runtime();
  await rt.start();
  const sink = rt.sink(databaseSink(fx.db));
  const rows = withBattery(readings());
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    while (j < rows.length && rows[j]?.timeUs === rows[i]?.timeUs) j++;
    const batch = rows.slice(i, j);
    i = j;
    fx.clock.advance(Math.floor((batch[0]?.timeUs ?? 0) / 1000) - fx.clock.now());
    rt.onAccepted(batch);
    await sink.write(batch, []);
  }
  fx.clock.advance(T0 + 1200_000 - fx.clock.now());
  await rt.flushed();
  const live = (await fx.transitions()).sort();
  t.ok(live.length >= 8, `live raised and cleared warnings (${live.length} transitions)`);
  t.ok(
    live.some((x) => Number(/@(\d+)s$/.exec(x)?.[1]) % 15 !== 0),
    'some changed between depth readings, on a timer',
  );

  const progress: BacktestProgress[] = [];
  const active = await fx.store.activeRules();
  const res = await runBacktest({ db: fx.db, devices: fx.registry.all(), rules: active, fromMs: T0, toMs: T0 + 1200_000, pageRows: 10, onProgress: (p) => progress.push(p) });
  t.same(timeline(res.candidate), live, 'same transitions, same instants');
  t.equal(res.readings, readings().length, 'the depth readings: no rule reads the battery');
  t.equal(res.devices, 2);
  t.ok(progress.length > 5, 'progress every page');
  t.same(progress[progress.length - 1], { readings: res.readings, estimatedTotal: res.readings, throughMs: T0 + 1200_000 });
  t.ok(progress.every((p, i) => i === 0 || p.readings >= (progress[i - 1]?.readings ?? 0)), 'progress only grows');
  t.equal(res.compare, null);
  t.match(res.summary, /^\d+ warnings \(peak: /);
});

t.test('the difference from the active version, per grade', async (t) => {
  const fx = await rulesFixture(t);
  await fx.store.importSet({ rules: [depthRule({ id: 'wl-depth' })] }, who);
  const { db } = fx;
  await databaseSink(db).write(readings(), []);
  const active = await fx.store.activeRules();
  // A stricter candidate: red at 30 cm instead of 50.
  const candidate = [{ rule: { ...active[0]!.rule, condition: { type: 'threshold' as const, metric: 'depth_cm', direction: 'above' as const, thresholds: { blue: 15, yellow: 25, orange: 28, red: 30 } } }, version: 0 }];
  const res = await runBacktest({ db, devices: fx.registry.all(), rules: candidate, compare: active, fromMs: T0, toMs: T0 + 1200_000 });
  t.ok(res.compare);
  t.ok(res.diff);
  const red = res.diff?.red;
  t.ok((red?.more.length ?? 0) >= 1, 'more red warnings with the stricter thresholds');
  t.ok(red?.more.every((w) => w.peak === 'red'), 'these are the red ones');
  t.match(res.summary, /against the compared version: .*more red/);
  const fewer = Object.values(res.diff ?? {}).reduce((n, d) => n + d.fewer.length, 0);
  t.ok(fewer >= 1, 'and fewer of a lower peak grade');

  const same = await runBacktest({ db, devices: fx.registry.all(), rules: active, compare: active, fromMs: T0, toMs: T0 + 1200_000, deviceIds: ['wl-2'] });
  t.match(same.summary, /no difference$/);
  t.equal(same.devices, 1, 'the device filter narrows the stream');
  t.ok(same.candidate.warnings.every((w) => w.subject.id === 'wl-2'));
  const none = await runBacktest({ db, devices: fx.registry.all(), rules: active, fromMs: T0, toMs: T0 + 1200_000, blocks: ['4401'] });
  t.equal(none.readings, 0, 'no device in that block');
});

import t from 'tap';
import type { Test } from 'tap';
import { databaseSink } from '../ingest/sink.js';
import type { ReadingRow } from '../ingest/record.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import type { RulesRuntime } from './runtime.js';
import { depth, depthRule, rulesFixture, T0, who, type RulesFixture } from './testing.js';

t.teardown(stopSharedPostgres);

/** Rising then receding water at wl-1 (seconds after T0, cm): yellow, orange, then down and clear. */
const script: Array<[number, number]> = [
  [0, 10], [10, 30], [30, 32], [90, 45], [120, 46], [200, 20], [260, 21], [400, 5], [420, 4],
];
const endSec = 700;

/** Feeds the script as the pipeline would: live (onAccepted) then the drain (sink); `at` hooks run before the reading of that second. */
async function play(fx: RulesFixture, rt: () => RulesRuntime, hooks: Record<number, (current: RulesRuntime) => Promise<RulesRuntime>> = {}): Promise<RulesRuntime> {
  let current = rt();
  await current.start();
  let sink = current.sink(databaseSink(fx.db));
  for (const [sec, cm] of script) {
    fx.clock.advance(T0 + sec * 1000 - fx.clock.now());
    const hook = hooks[sec];
    if (hook) {
      current = await hook(current);
      sink = current.sink(databaseSink(fx.db));
    }
    const rows = [depth('wl-1', T0 + sec * 1000, cm)];
    current.onAccepted(rows);
    await sink.write(rows, []);
  }
  fx.clock.advance(T0 + endSec * 1000 - fx.clock.now());
  await current.flushed();
  return current;
}

async function activeSet(fx: RulesFixture, ids: string[]): Promise<void> {
  await fx.store.importSet({ rules: ids.map((id) => depthRule({ id })) }, who);
}

t.test('live evaluation commits transitions with their states; the replay path adds nothing', async (t) => {
  const fx = await rulesFixture(t);
  await activeSet(fx, ['wl-depth']);
  const rt = await play(fx, () => fx.runtime());
  const live = await fx.transitions();
  t.same(live, ['wl-depth/wl-1 0→2 @70s', 'wl-depth/wl-1 2→3 @150s', 'wl-depth/wl-1 3→1 @320s', 'wl-depth/wl-1 1→0 @520s'], 'for, hysteresis and clearFor at their due instants');
  const states = await fx.db.query<{ rule_id: string; subject_key: string }>('SELECT rule_id, subject_key FROM rule_states');
  t.ok(states.rows.every((s) => s.rule_id === 'wl-depth'), 'states saved');

  // The drain replays the same readings (a crash before the checkpoint): nothing new.
  const sink = rt.sink(databaseSink(fx.db));
  await sink.write(script.map(([s, cm]) => depth('wl-1', T0 + s * 1000, cm)), []);
  t.same(await fx.transitions(), live, 'no duplicate transitions from a replay');

  // A new runtime on the same database, fed the whole spool again: still nothing new.
  await rt.stop();
  const again = fx.runtime();
  await again.start();
  await again.sink(databaseSink(fx.db)).write(script.map(([s, cm]) => depth('wl-1', T0 + s * 1000, cm)), []);
  fx.clock.advance(60_000);
  await again.flushed();
  t.same(await fx.transitions(), live, 'a restart replaying the spool doubles nothing');
  t.ok(again.stats().flushes >= 1);
});

t.test('restart mid-for and mid-clearFor gives the same warnings as an uninterrupted run', async (t) => {
  const straight = await rulesFixture(t);
  await activeSet(straight, ['wl-depth']);
  await play(straight, () => straight.runtime());
  const expected = await straight.transitions();

  const fx = await rulesFixture(t);
  await activeSet(fx, ['wl-depth']);
  const restart = async (current: RulesRuntime) => {
    await current.stop();
    const next = fx.runtime();
    await next.start();
    return next;
  };
  // 30 s: yellow is pending (for 60 s since 10 s); 260 s: orange is clearing (clearFor since 200 s).
  await play(fx, () => fx.runtime(), { 30: restart, 260: restart });
  t.same(await fx.transitions(), expected);
  t.equal(expected.length, 4);
});

t.test('a hot apply keeps the live state of unchanged rules', async (t) => {
  const fx = await rulesFixture(t);
  await activeSet(fx, ['wl-depth', 'wl-other']);
  const edit = async (current: RulesRuntime) => {
    // wl-depth is mid-`for` (yellow pending since 10 s); another rule changes under it.
    await fx.store.update('wl-other', depthRule({ id: 'wl-other', for: '30s' }), who, { activate: true });
    await current.apply();
    return current;
  };
  const rt = await play(fx, () => fx.runtime(), { 30: edit });
  const got = (await fx.transitions()).filter((x) => x.startsWith('wl-depth/'));
  t.same(got, ['wl-depth/wl-1 0→2 @70s', 'wl-depth/wl-1 2→3 @150s', 'wl-depth/wl-1 3→1 @320s', 'wl-depth/wl-1 1→0 @520s'], 'the pending yellow still fired at 70 s');
  const other = (await fx.transitions()).filter((x) => x.startsWith('wl-other/'));
  t.equal(other[0], 'wl-other/wl-1 0→2 @60s', 'the edited rule started fresh at the next reading (30 s) with its new 30 s `for`');
  const events = await fx.feed.list({ types: ['rule.activated'] });
  t.same(events.map((e) => [e.subject.id, e.data.version, e.data.previousVersion]), [['wl-other', 2, 1]], 'rule.activated for the changed rule only');
  t.equal(rt.stats().rules, 2);
});

t.test('notices reach the warning service; readings of unknown devices are skipped', async (t) => {
  const fx = await rulesFixture(t);
  await activeSet(fx, ['wl-depth']);
  const rt = fx.runtime();
  await rt.start();
  const late: ReadingRow[] = [depth('wl-1', T0 - 2 * 3600_000, 60), depth('ghost', T0, 99)];
  rt.onAccepted(late);
  await rt.flushed();
  t.match(fx.warnings.notices, [{ type: 'late_reading', deviceId: 'wl-1' }]);
  t.same(await fx.transitions(), []);
});

async function stopped(t: Test, fx: RulesFixture): Promise<void> {
  const rt = fx.runtime();
  await rt.start();
  await rt.stop();
  await t.rejects(rt.sink(databaseSink(fx.db)).write([depth('wl-1', T0, 1)], []), { code: 'GW_ERR_NOT_READY' }, 'a stopped runtime refuses the replay path (the checkpoint does not move)');
}

t.test('the replay path refuses to confirm once stopped', async (t) => {
  const fx = await rulesFixture(t);
  await stopped(t, fx);
});

t.test('a warning change commits at once; states that only moved on wait for the states cadence or the drain', async (t) => {
  const fx = await rulesFixture(t);
  await fx.store.importSet({ rules: [depthRule({ id: 'wl-depth', for: '0s' })] }, who);
  const rt = fx.runtime();
  await rt.start();
  const saved = async () => (await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM rule_states')).rows[0]?.n;
  const settle = () => new Promise((r) => setTimeout(r, 50));

  rt.onAccepted([depth('wl-2', T0 + 1000, 3)]); // nothing to raise: wl-2's state only moved on
  fx.clock.advance(100);
  await settle();
  t.equal(await saved(), 0, 'a state without a warning change is not written at once');

  rt.onAccepted([depth('wl-1', T0 + 2000, 30)]); // yellow at once (for: 0s)
  fx.clock.advance(0);
  await settle();
  t.same(await fx.transitions(), ['wl-depth/wl-1 0→2 @2s'], 'the warning change is committed without waiting');
  const rows = await fx.db.query<{ subject_key: string }>('SELECT subject_key FROM rule_states');
  t.same(rows.rows.map((r) => r.subject_key), ['wl-1'], 'with the state that produced it, and only that one');

  fx.clock.advance(500);
  await settle();
  t.equal(await saved(), 2, 'the other state follows on the states cadence (or when the drain waits for it)');
});

t.test('a full flush writes states in chunks; the drain waits until its readings’ states are all written', async (t) => {
  const fx = await rulesFixture(t, [{ id: 'wl-1' }, { id: 'wl-2' }, { id: 'wl-3' }]);
  await fx.store.importSet({ rules: [depthRule({ id: 'wl-depth' })] }, who);
  const rt = fx.runtime({ stateChunk: 1 });
  await rt.start();
  const rows = ['wl-1', 'wl-2', 'wl-3'].map((id) => depth(id, T0 + 1000, 3));
  await rt.sink(databaseSink(fx.db)).write(rows, []);
  const saved = await fx.db.query<{ subject_key: string }>('SELECT subject_key FROM rule_states ORDER BY subject_key');
  t.same(saved.rows.map((r) => r.subject_key), ['wl-1', 'wl-2', 'wl-3'], 'three one-state transactions, all committed before the write returned');
});

t.test('late readings: one notice per device per minute, counting the ones passed over', async (t) => {
  const fx = await rulesFixture(t);
  await fx.store.importSet({ rules: [depthRule({ id: 'wl-depth' })] }, who);
  const rt = fx.runtime();
  await rt.start();
  const weekAgo = T0 - 7 * 86_400_000;
  for (let i = 0; i < 100; i++) rt.onAccepted([depth('wl-1', weekAgo + i * 60_000, 30)]);
  await rt.flushed();
  t.equal(fx.warnings.notices.length, 1, 'a hundred late readings, one notice');
  fx.clock.advance(61_000);
  rt.onAccepted([depth('wl-1', weekAgo + 200 * 60_000, 30)]);
  await rt.flushed();
  t.equal(fx.warnings.notices.length, 2);
  t.match(fx.warnings.notices[1]?.message, /and 99 more late readings/, 'the next one says how many were passed over');
  t.same(await fx.transitions(), [], 'none of them evaluated');
});

t.test('live: evaluated as the spool record is written, committed only once it is durable', async (t) => {
  const fx = await rulesFixture(t);
  await fx.store.importSet({ rules: [depthRule({ id: 'wl-depth', for: '0s' })] }, who);
  const rt = fx.runtime();
  await rt.start();
  let durable!: (ok: boolean) => void;
  rt.onAccepted([depth('wl-1', T0 + 1000, 30)], new Promise<boolean>((r) => (durable = r)));
  fx.clock.advance(0);
  await new Promise((r) => setTimeout(r, 100));
  t.same(await fx.transitions(), [], 'the warning waits for the fsync');
  durable(true);
  await rt.flushed();
  t.same(await fx.transitions(), ['wl-depth/wl-1 0→2 @1s'], 'and commits once the reading is durable');
});

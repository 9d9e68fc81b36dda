import t from 'tap';
import { createEngine, ruleHash } from './index.js';
import { brief, device, harness, rule, T0 } from './test-helpers.js';
import type { Rule } from '../schema.js';
import { mulberry32 as random } from '../../simulators/sensors/prng.js';

const depth = (over: Record<string, unknown> = {}): Rule =>
  rule({ id: 'depth', scope: { kinds: ['water_level'] }, condition: { type: 'threshold', metric: 'depth_cm', thresholds: { yellow: 25, red: 50 } }, ...over });

t.test('replays change nothing: the same readings twice give no new transitions', async (t) => {
  const h = harness([depth({ for: '30s', clear: { clearFor: '1m' } })]);
  const rs = [h.reading('d1', 'depth_cm', 0, 30, 1), h.reading('d1', 'depth_cm', 60, 60, 2), h.reading('d1', 'depth_cm', 120, 10, 3), h.reading('d1', 'depth_cm', 200, 10, 4)];
  const first = h.engine.process(rs, T0 + 200_000);
  t.same(brief(first.transitions), ['depth/d1 0→2 @30', 'depth/d1 2→4 @90', 'depth/d1 4→0 @180']);
  t.equal(first.evaluations, 4);
  const again = h.engine.process(rs, T0 + 200_000);
  t.same(again.transitions, []);
  t.equal(again.evaluations, 0);
  t.same(h.engine.process([h.reading('d1', 'depth_cm', 200, 99, 4)], T0 + 200_000).transitions, [], 'same (time, seq): ignored');
  t.equal(h.engine.process([h.reading('d1', 'depth_cm', 200, 99, 5)], T0 + 200_000).evaluations, 1, 'a higher seq at the same time applies');
  t.same(brief(h.advance(300).transitions), ['depth/d1 0→4 @230']);
});

t.test('late readings are not evaluated; one notice per device per call', async (t) => {
  const h = harness([depth()], [device('d1'), device('d2')], 3600_000);
  const now = T0 + 2 * 3600_000;
  const res = h.engine.process([h.reading('d1', 'depth_cm', 0, 60), h.reading('d1', 'depth_cm', 1, 60), h.reading('d2', 'depth_cm', 2, 60), h.reading('d1', 'depth_cm', 7000, 30)], now);
  t.same(res.notices.map((n) => [n.type, n.deviceId]), [['late_reading', 'd1'], ['late_reading', 'd2']]);
  t.same(brief(res.transitions), ['depth/d1 0→2 @7000']);
  t.equal(res.evaluations, 1);
});

t.test('scope: kinds, devices, block prefixes and tags; unknown devices are skipped', async (t) => {
  const r = depth({ id: 'scoped', scope: { kinds: ['water_level'], blocks: ['310115'], tags: ['underpass'] } });
  const devices = [
    device('in', { tags: ['underpass', 'x'] }),
    device('notag'),
    device('otherblock', { blockCode: '32000000000000000', tags: ['underpass'] }),
    device('otherkind', { kind: 'gas', tags: ['underpass'] }),
  ];
  const only = depth({ id: 'only', scope: { devices: ['notag'] } });
  const h = harness([r, only], devices);
  const res = h.engine.process(['in', 'notag', 'otherblock', 'otherkind', 'ghost'].map((id) => h.reading(id, 'depth_cm', 0, 60)), T0);
  t.same(brief(res.transitions), ['scoped/in 0→4 @0', 'only/notag 0→4 @0']);
  t.equal(res.evaluations, 2);
});

t.test('a device whose context changes is re-scoped; states of rules it left are forgotten', async (t) => {
  const r = depth({ scope: { tags: ['underpass'] } });
  const h = harness([r], [device('d1', { tags: ['underpass'] })]);
  h.read('d1', 'depth_cm', 0, 30);
  h.engine.exportStates();
  h.devices.set('d1', device('d1', { tags: [] }));
  t.same(h.read('d1', 'depth_cm', 1, 60).transitions, []);
  t.same(h.engine.exportStates(), [{ ruleId: 'depth', ruleHash: ruleHash(r), subjectKey: 'd1', partition: '31011500100100001', state: null }]);
  t.same(h.engine.activeGrades(), []);
});

t.test('k_of_n: two smoke alarms in one block → red; ageing out by timer', async (t) => {
  const r = rule({
    id: 'smoke2',
    condition: { type: 'k_of_n', of: { type: 'state', metric: 'alarm_state', states: { red: ['alarm'] } }, k: { yellow: 1, red: 2 }, window: '10m' },
  });
  const block = '31011500100100001';
  const h = harness([r], [device('s1', { kind: 'smoke', blockCode: block }), device('s2', { kind: 'smoke', blockCode: block, exercise: true }), device('s3', { kind: 'smoke', blockCode: '31011500100100002' })]);
  t.same(brief(h.read('s1', 'alarm_state', 0, 'alarm').transitions), [`smoke2/block:${block} 0→2 @0`]);
  t.same(brief(h.read('s3', 'alarm_state', 10, 'alarm').transitions), ['smoke2/block:31011500100100002 0→2 @10'], 'another block');
  const red = h.read('s2', 'alarm_state', 60, 'alarm').transitions;
  t.same(brief(red), [`smoke2/block:${block} 2→4 @60`]);
  t.match(red[0], { subject: { type: 'block', id: block }, deviceId: 's2', devices: ['s1', 's2'], value: 2, exercise: true, reason: `2 of 2 devices in block ${block} within 10m (red)` });
  t.same(brief(h.read('s1', 'alarm_state', 120, 'normal').transitions), [], 's1 still counts for the window');
  t.same(brief(h.advance(719).transitions), []);
  const aged = h.advance(721).transitions;
  t.same(brief(aged), [`smoke2/block:${block} 4→2 @720`], 's1 ages out 10m after it stopped holding');
  t.same(aged[0]?.devices, ['s2']);
  t.same(brief(h.read('s2', 'alarm_state', 800, 'normal').transitions), []);
  t.same(brief(h.advance(1400).transitions), [`smoke2/block:${block} 2→0 @1400`]);
});

t.test('a rule whose evaluation throws is disabled; the others keep running', async (t) => {
  const bad = rule({ id: 'ratio', condition: { type: 'threshold', expr: 'depth_cm / flow', thresholds: { red: 5 } } });
  const good = depth();
  const h = harness([bad, good]);
  h.read('d1', 'flow', 0, 2);
  t.same(brief(h.read('d1', 'depth_cm', 1, 60).transitions), ['ratio/d1 0→4 @1', 'depth/d1 0→4 @1']);
  const res = h.read('d1', 'flow', 2, 0);
  t.match(res.notices, [{ type: 'rule_disabled', ruleId: 'ratio', deviceId: 'd1', message: /gave Infinity/ }]);
  t.same(h.engine.stats().disabled, ['ratio']);
  t.same(h.engine.activeGrades().map((a) => a.fingerprint), ['depth/d1'], 'its state and warning are dropped');
  t.same(brief(h.read('d1', 'depth_cm', 3, 10).transitions), ['depth/d1 4→0 @3']);
  t.same(h.read('d1', 'flow', 4, 1).transitions, [], 'stays disabled');
  h.engine.setRules([{ rule: bad, version: 2 }, { rule: good, version: 1 }]);
  t.same(h.engine.stats().disabled, ['ratio'], 'same content: still disabled');
  h.engine.setRules([{ rule: { ...bad, condition: { type: 'threshold', expr: 'depth_cm / max(flow, 1)', direction: 'above', thresholds: { red: 5 } } }, version: 3 }, { rule: good, version: 1 }]);
  t.same(h.engine.stats().disabled, [], 'a changed rule runs again');
});

t.test('a rule that does not compile is disabled at setRules with a notice', async (t) => {
  const crafted = { ...depth({ id: 'bad' }), condition: { type: 'threshold', expr: 'depth_cm +', direction: 'above', thresholds: { red: 1 } } } as Rule;
  const h = harness([crafted, depth()]);
  t.same(h.engine.stats(), { rules: 1, disabled: ['bad'], states: 0, evaluations: 0 });
  const res = h.read('d1', 'depth_cm', 0, 60);
  t.match(res.notices, [{ type: 'rule_disabled', ruleId: 'bad', message: /unexpected end/ }]);
  t.same(brief(res.transitions), ['depth/d1 0→4 @0']);
});

t.test('hot apply keeps states of unchanged rules and resets changed ones', async (t) => {
  const a = depth({ id: 'a', for: '1m' });
  const b = depth({ id: 'b', for: '1m' });
  const c = depth({ id: 'c' });
  const h = harness([a, b, c]);
  h.read('d1', 'depth_cm', 0, 30);
  const res = h.engine.setRules([
    { rule: { ...a, name: 'renamed', tags: ['x'] }, version: 2 },
    { rule: { ...b, for: '2m' }, version: 2 },
    { rule: { ...c, enabled: false }, version: 2 },
    { rule: depth({ id: 'new' }), version: 1 },
  ]);
  t.same(res, { kept: ['a'], reset: ['b', 'c', 'new'] });
  t.same(h.engine.activeGrades(), [], 'c was disabled: its warning state is gone');
  const out = h.advance(600).transitions;
  t.same(brief(out), ['a/d1 0→2 @60'], 'a continued mid-for; b starts over (and has no reading yet)');
  t.equal(out[0]?.ruleVersion, 2);
  t.equal(h.engine.stats().rules, 3);
});

t.test('export / import mid-for continues exactly', async (t) => {
  const rules = [depth({ for: '1m', clear: { hysteresis: 2, clearFor: '2m' } }), rule({ id: 'silent', condition: { type: 'no_data', after: { yellow: '5m' } } })];
  const straight = harness(rules);
  const resumed = harness(rules);
  const steps = (h: ReturnType<typeof harness>, from: number, to: number) => {
    const out: string[] = [];
    for (const [sec, v] of ([[0, 30], [30, 55], [200, 10], [700, 30]] as const).filter(([s]) => s >= from && s < to)) out.push(...brief(h.read('d1', 'depth_cm', sec, v).transitions));
    out.push(...brief(h.advance(to).transitions));
    return out;
  };
  const want = steps(straight, 0, 2000);
  const got = steps(resumed, 0, 40);
  const saved = JSON.parse(JSON.stringify(resumed.engine.exportStates({ all: true }))) as ReturnType<typeof resumed.engine.exportStates>;
  const restarted = harness([]);
  restarted.engine.setRules(rules.map((r) => ({ rule: r, version: 1 })));
  restarted.engine.importStates(saved);
  got.push(...steps(restarted, 40, 2000));
  t.same(got, want);
  t.ok(want.length >= 4, want.join(', '));
});

t.test('import drops states whose rule changed, and states it cannot read', async (t) => {
  const r = depth();
  const h = harness([r]);
  h.read('d1', 'depth_cm', 0, 60);
  const saved = h.engine.exportStates({ all: true });
  const other = harness([depth({ condition: { type: 'threshold', metric: 'depth_cm', thresholds: { red: 40 } } })]);
  other.engine.importStates(saved);
  t.equal(other.engine.stats().states, 0);
  const same = harness([r]);
  same.engine.importStates([{ ...(saved[0] as (typeof saved)[0]), state: { c: 9 } }, { ...(saved[0] as (typeof saved)[0]), subjectKey: 'ghost' }]);
  t.equal(same.engine.stats().states, 0);
  same.engine.importStates(saved);
  t.same(same.engine.activeGrades(), [{ fingerprint: 'depth/d1', ruleId: 'depth', grade: 4 }]);
});

t.test('exportStates returns changed states once; all: every state', async (t) => {
  const h = harness([depth()], [device('d1'), device('d2')]);
  h.read('d1', 'depth_cm', 0, 1);
  h.read('d2', 'depth_cm', 0, 1);
  t.same(h.engine.exportStates().map((s) => s.subjectKey), ['d1', 'd2']);
  t.same(h.engine.exportStates(), []);
  h.read('d2', 'depth_cm', 1, 2);
  t.same(h.engine.exportStates().map((s) => s.subjectKey), ['d2']);
  t.equal(h.engine.exportStates({ all: true }).length, 2);
});

t.test('ruleHash ignores name, description, tags and key order', async (t) => {
  const r = depth();
  t.equal(ruleHash({ ...r, name: 'x', description: 'y', tags: ['z'] }), ruleHash(r));
  const { condition, ...rest } = r;
  const reordered = JSON.parse(JSON.stringify({ condition, ...rest })) as Rule;
  t.equal(ruleHash(reordered), ruleHash(r));
  t.not(ruleHash({ ...r, for: '1m' }), ruleHash(r));
  t.match(ruleHash(r), /^[0-9a-f]{40}$/);
});

t.test('property: random streams in one go and across export/import restarts give the same transitions', async (t) => {
  const block = '31011500100100001';
  const rules = [
    depth({ for: '2m', grades: { red: { for: '0s' } }, clear: { hysteresis: 3, clearFor: '3m' } }),
    rule({ id: 'rate', condition: { type: 'rate', metric: 'depth_cm', window: '10m', thresholds: { yellow: 15, red: 30 } }, clear: { clearFor: '1m' } }),
    rule({ id: 'silent', condition: { type: 'no_data', after: { blue: '20m', yellow: '40m' } } }),
    rule({ id: 'gated', condition: { type: 'all', conditions: [{ type: 'state', metric: 'cover_state', states: { red: ['open'] } }, { type: 'threshold', metric: 'depth_cm', thresholds: { blue: 10, orange: 40 } }] }, for: '1m' }),
    rule({ id: 'kn', condition: { type: 'k_of_n', of: { type: 'threshold', metric: 'depth_cm', thresholds: { red: 45 } }, k: { yellow: 1, red: 2 }, window: '15m' }, for: '30s' }),
    rule({ id: 'night', condition: { type: 'threshold', metric: 'depth_cm', thresholds: { yellow: 20 } }, for: '5m', schedule: { windows: [{ from: '09:30', to: '10:15' }] } }),
  ];
  const devs = ['a', 'b', 'c'].map((id) => device(id, { blockCode: block }));
  for (let seed = 1; seed <= 25; seed++) {
    const rnd = random(seed);
    const batches: Array<{ readings: ReturnType<ReturnType<typeof harness>['reading']>[]; now: number }> = [];
    const maker = harness([], devs);
    let sec = 0;
    for (let b = 0; b < 12; b++) {
      const readings = [];
      for (let i = 0; i < 1 + Math.floor(rnd() * 8); i++) {
        sec += Math.floor(rnd() * 240);
        const id = devs[Math.floor(rnd() * devs.length)]?.id ?? 'a';
        const back = rnd() < 0.1 ? -Math.floor(rnd() * 300) : 0; // some out of order
        if (rnd() < 0.2) readings.push(maker.reading(id, 'cover_state', sec + back, rnd() < 0.5 ? 'open' : 'closed'));
        else readings.push(maker.reading(id, 'depth_cm', sec + back, Math.round(rnd() * 60)));
      }
      batches.push({ readings, now: T0 + sec * 1000 + Math.floor(rnd() * 600_000) });
    }
    const run = (restartAt: (i: number) => boolean): string[] => {
      let engine = createEngine({ lookup: (id) => devs.find((d) => d.id === id), maxLatenessMs: 3600_000 });
      engine.setRules(rules.map((r) => ({ rule: r, version: 1 })));
      devs.forEach((d) => engine.watch(d.id, T0));
      const out: string[] = [];
      batches.forEach((b, i) => {
        if (restartAt(i)) {
          const saved = JSON.parse(JSON.stringify(engine.exportStates({ all: true }))) as ReturnType<typeof engine.exportStates>;
          engine = createEngine({ lookup: (id) => devs.find((d) => d.id === id), maxLatenessMs: 3600_000 });
          engine.setRules(rules.map((r) => ({ rule: r, version: 1 })));
          engine.importStates(saved);
        }
        const p = engine.process(b.readings, b.now);
        const a = engine.advanceTo(b.now);
        for (const tr of [...p.transitions, ...a.transitions]) out.push(`${tr.fingerprint} ${tr.from}→${tr.to} @${tr.atMs} ${tr.reason} ${(tr.devices ?? []).join(',')}`);
      });
      return out;
    };
    const once = run(() => false);
    const split = run((i) => i > 0 && random(seed * 7 + i)() < 0.5);
    if (!t.same(split, once, `seed ${seed}: ${once.length} transitions`)) break;
  }
});

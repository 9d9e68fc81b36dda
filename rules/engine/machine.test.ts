import t from 'tap';
import { brief, harness, rule } from './test-helpers.js';

const depth = (over: Record<string, unknown> = {}) =>
  rule({ id: 'depth', condition: { type: 'threshold', metric: 'depth_cm', thresholds: { blue: 15, yellow: 25, orange: 40, red: 50 } }, ...over });

t.test('for: raised by timer at since + for, with the due instant as atMs', async (t) => {
  const h = harness([depth({ for: '60s' })]);
  t.same(brief(h.read('d1', 'depth_cm', 0, 27).transitions), []);
  t.same(brief(h.advance(59).transitions), [], 'not yet');
  const up = h.advance(500).transitions;
  t.same(brief(up), ['depth/d1 0→2 @60'], 'fired at the due instant, not at the call');
  t.equal(up[0]?.reason, 'depth_cm 27 ≥ 25 (yellow) for 1m');
});

t.test('for: a timer due before a reading fires before it', async (t) => {
  const h = harness([depth({ for: '60s' })]);
  h.read('d1', 'depth_cm', 0, 27);
  t.same(brief(h.read('d1', 'depth_cm', 120, 10).transitions), ['depth/d1 0→2 @60', 'depth/d1 2→0 @120'], 'raised at 60 by timer, then cleared by the reading');
});

t.test('for: a run broken before it elapses raises nothing', async (t) => {
  const h = harness([depth({ for: '60s' })]);
  h.read('d1', 'depth_cm', 0, 27);
  h.read('d1', 'depth_cm', 30, 10);
  h.read('d1', 'depth_cm', 40, 27);
  t.same(brief(h.advance(99).transitions), []);
  t.same(brief(h.advance(100).transitions), ['depth/d1 0→2 @100']);
});

t.test('per-grade for: red at once, yellow after 5m; upgrade while a lower for is pending', async (t) => {
  const h = harness([depth({ for: '5m', grades: { red: { for: '0s' } } })]);
  h.read('d1', 'depth_cm', 0, 30);
  t.same(brief(h.read('d1', 'depth_cm', 60, 45).transitions), []);
  t.same(brief(h.read('d1', 'depth_cm', 120, 55).transitions), ['depth/d1 0→4 @120']);
  t.same(brief(h.read('d1', 'depth_cm', 130, 45).transitions), ['depth/d1 4→3 @130']);
});

t.test('upgrade by timer picks the highest grade whose for has run out', async (t) => {
  const h = harness([depth({ for: '60s' })]);
  h.read('d1', 'depth_cm', 0, 30);
  h.read('d1', 'depth_cm', 30, 45);
  t.same(brief(h.advance(200).transitions), ['depth/d1 0→2 @60', 'depth/d1 2→3 @90']);
});

t.test('clearFor: comes down by timer at downSince + clearFor; a value back up cancels it', async (t) => {
  const h = harness([depth({ clear: { hysteresis: 2, clearFor: '5m' } })]);
  h.read('d1', 'depth_cm', 0, 30);
  h.read('d1', 'depth_cm', 60, 10);
  h.read('d1', 'depth_cm', 120, 24); // 24 > 25 − 2: yellow holds again
  t.same(brief(h.advance(1000).transitions), []);
  h.read('d1', 'depth_cm', 1000, 16);
  const down = h.advance(2000).transitions;
  t.same(brief(down), ['depth/d1 2→1 @1300']);
  t.equal(down[0]?.reason, 'depth_cm 16 ≤ 23 (yellow 25 − 2) for 5m');
});

t.test('hysteresis: a value hovering at the threshold does not flap', async (t) => {
  const h = harness([depth({ clear: { hysteresis: 2 } })]);
  const all: string[] = [];
  [26, 24, 25.5, 23.5, 25, 24.1].forEach((v, i) => all.push(...brief(h.read('d1', 'depth_cm', i, v).transitions)));
  t.same(all, ['depth/d1 0→2 @0']);
});

t.test('activeGrades lists warnings up', async (t) => {
  const h = harness([depth()]);
  h.read('d1', 'depth_cm', 0, 45);
  t.same(h.engine.activeGrades(), [{ fingerprint: 'depth/d1', ruleId: 'depth', grade: 3 }]);
  h.read('d1', 'depth_cm', 1, 0);
  t.same(h.engine.activeGrades(), []);
});

t.test('clearFor: receding water steps down one band at a time, each clearFor after it left the band', async (t) => {
  const h = harness([depth({ clear: { hysteresis: 0, clearFor: '10m' } })]);
  t.same(brief(h.read('d1', 'depth_cm', 0, 55).transitions), ['depth/d1 0→4 @0']);
  // Drains 55 → 0 within four minutes: below red at 60 s, orange at 120, yellow at 180, blue at 240.
  for (const [at, v] of [[60, 45], [120, 30], [180, 20], [240, 0]] as const) t.same(brief(h.read('d1', 'depth_cm', at, v).transitions), [], `nothing yet at ${at}s`);
  t.same(brief(h.advance(1000).transitions), ['depth/d1 4→3 @660', 'depth/d1 3→2 @720', 'depth/d1 2→1 @780', 'depth/d1 1→0 @840'], 'the highest grade seen in the last clearFor');
});

t.test('clearFor: a rise back into a band restarts only that band’s run', async (t) => {
  const h = harness([depth({ clear: { hysteresis: 0, clearFor: '10m' } })]);
  h.read('d1', 'depth_cm', 0, 55);
  h.read('d1', 'depth_cm', 60, 20); // below red, orange, yellow
  h.read('d1', 'depth_cm', 300, 30); // back into yellow: the yellow run restarts, red's and orange's go on
  t.same(brief(h.advance(660).transitions), ['depth/d1 4→2 @660'], 'red and orange runs both lasted 10m at 660: down to yellow');
  t.same(brief(h.advance(2000).transitions), [], 'stays yellow while the value is in the yellow band');
});

import t from 'tap';
import { brief, device, harness, rule } from './test-helpers.js';

const depth = (over: Record<string, unknown> = {}) =>
  rule({ id: 'depth', condition: { type: 'threshold', metric: 'depth_cm', thresholds: { blue: 15, yellow: 25, orange: 40, red: 50 } }, clear: { hysteresis: 2 }, ...over });

t.test('threshold above: grades up at once, down past the hysteresis', async (t) => {
  const h = harness([depth()]);
  const seq: Array<[number, string[]]> = [
    [10, []],
    [16, ['depth/d1 0→1 @1']],
    [27, ['depth/d1 1→2 @2']],
    [55, ['depth/d1 2→4 @3']],
    [49, []], // 49 > 50 − 2: red holds
    [50, []],
    [47, ['depth/d1 4→3 @6']],
    [14, ['depth/d1 3→1 @7']], // 14 > 15 − 2: blue holds
    [13, ['depth/d1 1→0 @8']],
  ];
  seq.forEach(([v, want], i) => t.same(brief(h.read('d1', 'depth_cm', i, v).transitions), want, `value ${v}`));
  const r = h.read('d1', 'depth_cm', 20, 27).transitions[0];
  t.match(r, { metric: 'depth_cm', value: 27, state: null, reason: 'depth_cm 27 ≥ 25 (yellow)', kind: 'water_level', exercise: false, subject: { type: 'device', id: 'd1' } });
  t.equal(h.read('d1', 'depth_cm', 21, 12).transitions[0]?.reason, 'depth_cm 12 ≤ 13 (blue 15 − 2)');
});

t.test('threshold below, missing grades skipped, no hysteresis: a value at the threshold raises and holds', async (t) => {
  const r = rule({ id: 'batt', condition: { type: 'threshold', metric: 'battery_v', direction: 'below', thresholds: { yellow: 3.5, red: 3.2 } } });
  const h = harness([r]);
  t.same(brief(h.read('d1', 'battery_v', 0, 3.6).transitions), []);
  t.same(brief(h.read('d1', 'battery_v', 1, 3.5).transitions), ['batt/d1 0→2 @1']);
  t.same(brief(h.read('d1', 'battery_v', 2, 3.5).transitions), []);
  t.same(brief(h.read('d1', 'battery_v', 3, 3.1).transitions), ['batt/d1 2→4 @3']);
  const up = h.read('d1', 'battery_v', 4, 3.6).transitions[0];
  t.match(up, { from: 4, to: 0, reason: 'battery_v 3.6 > 3.5 (yellow)' });
});

t.test('threshold over an expression waits for every metric', async (t) => {
  const r = rule({ id: 'tilt', condition: { type: 'threshold', expr: 'max(abs(tilt_x_deg), abs(tilt_y_deg))', thresholds: { yellow: 3, red: 5 } } });
  const h = harness([r]);
  t.same(brief(h.read('d1', 'tilt_x_deg', 0, 9).transitions), [], 'tilt_y not seen yet');
  const tr = h.read('d1', 'tilt_y_deg', 1, -4).transitions;
  t.same(brief(tr), ['tilt/d1 0→4 @1']);
  t.match(tr[0], { metric: null, value: 9, reason: 'max(abs(tilt_x_deg), abs(tilt_y_deg)) 9 ≥ 5 (red)' });
  t.same(brief(h.read('d1', 'tilt_x_deg', 2, 1).transitions), ['tilt/d1 4→2 @2']);
});

t.test('rate: newest minus oldest within the window', async (t) => {
  const rise = rule({ id: 'rise', condition: { type: 'rate', metric: 'level_m', window: '10m', thresholds: { yellow: 10, red: 20 } } });
  const fall = rule({ id: 'fall', condition: { type: 'rate', metric: 'level_m', window: '10m', direction: 'fall', thresholds: { yellow: 10 } } });
  const h = harness([rise, fall]);
  t.same(brief(h.read('d1', 'level_m', 0, 0).transitions), []);
  t.same(brief(h.read('d1', 'level_m', 300, 5).transitions), []);
  const y = h.read('d1', 'level_m', 600, 12).transitions;
  t.same(brief(y), ['rise/d1 0→2 @600']);
  t.equal(y[0]?.reason, 'level_m rose 12 within 10m ≥ 10 (yellow)');
  t.same(brief(h.read('d1', 'level_m', 900, 33).transitions), ['rise/d1 2→4 @900'], '0 at t=0 left the window: 33 − 5 = 28');
  t.same(brief(h.read('d1', 'level_m', 1500, 20).transitions), ['rise/d1 4→0 @1500', 'fall/d1 0→2 @1500'], '20 − 33 within 10m');
});

t.test('no_data: graded by silence, by timer at the exact instant; a reading clears it', async (t) => {
  const r = rule({ id: 'silent', condition: { type: 'no_data', after: { blue: '2h', yellow: '6h' } } });
  const h = harness([r]);
  h.engine.watch('d1', h.reading('d1', 'x', 0, 0).timeUs / 1000);
  t.same(brief(h.advance(3600).transitions), []);
  const b = h.advance(3 * 3600).transitions;
  t.same(brief(b), ['silent/d1 0→1 @7200']);
  t.match(b[0], { reason: 'no reading for 2h', metric: null, value: null });
  t.same(brief(h.advance(10 * 3600).transitions), ['silent/d1 1→2 @21600']);
  const back = h.read('d1', 'battery_v', 11 * 3600, 3.6).transitions;
  t.same(brief(back), ['silent/d1 2→0 @39600']);
  t.equal(back[0]?.reason, 'device reporting again');
  t.same(brief(h.advance(12 * 3600).transitions), []);
  t.same(brief(h.advance(14 * 3600).transitions), ['silent/d1 0→1 @46800'], 'silence counted again from the last reading');
});

t.test('no_data on one metric ignores the others', async (t) => {
  const r = rule({ id: 'silent', condition: { type: 'no_data', metric: 'depth_cm', after: { yellow: '1h' } } });
  const h = harness([r]);
  h.read('d1', 'depth_cm', 0, 1);
  h.read('d1', 'battery_v', 1800, 3.6);
  const y = h.advance(3600).transitions;
  t.same(brief(y), ['silent/d1 0→2 @3600']);
  t.equal(y[0]?.reason, 'no depth_cm reading for 1h');
});

t.test('state: the highest grade listing the latest state', async (t) => {
  const r = rule({ id: 'smoke', condition: { type: 'state', metric: 'alarm_state', states: { yellow: ['fault', 'tamper'], red: ['alarm'] } } });
  const h = harness([r]);
  t.same(brief(h.read('d1', 'alarm_state', 0, 'normal').transitions), []);
  t.same(brief(h.read('d1', 'alarm_state', 1, 'fault').transitions), ['smoke/d1 0→2 @1']);
  const red = h.read('d1', 'alarm_state', 2, 'alarm').transitions;
  t.same(brief(red), ['smoke/d1 2→4 @2']);
  t.match(red[0], { metric: 'alarm_state', state: 'alarm', value: null, reason: 'alarm_state is alarm (red)' });
  t.same(brief(h.read('d1', 'battery_v', 3, 3).transitions), [], 'other metrics do not touch it');
  t.same(brief(h.read('d1', 'alarm_state', 4, 'normal').transitions), ['smoke/d1 4→0 @4']);
});

t.test('all with a gate: the gate passes the other level through; any takes the highest', async (t) => {
  const gate = { type: 'state', metric: 'cover_state', states: { red: ['open'] } };
  const lvl = { type: 'threshold', metric: 'depth_cm', thresholds: { yellow: 25, red: 50 } };
  const all = rule({ id: 'all', condition: { type: 'all', conditions: [gate, lvl] } });
  const any = rule({ id: 'any', condition: { type: 'any', conditions: [{ type: 'threshold', metric: 'a', thresholds: { blue: 1, yellow: 2 } }, { type: 'threshold', metric: 'b', thresholds: { blue: 1, red: 9 } }] } });
  const h = harness([all, any]);
  t.same(brief(h.read('d1', 'depth_cm', 0, 30).transitions), [], 'cover not known: the gate is shut');
  const open = h.read('d1', 'cover_state', 1, 'open').transitions;
  t.same(brief(open), ['all/d1 0→2 @1']);
  t.equal(open[0]?.reason, 'cover_state is open and depth_cm 30 ≥ 25 (yellow)');
  t.match(open[0], { metric: 'depth_cm', value: 30 });
  t.same(brief(h.read('d1', 'depth_cm', 2, 60).transitions), ['all/d1 2→4 @2']);
  const shut = h.read('d1', 'cover_state', 3, 'closed').transitions;
  t.same(brief(shut), ['all/d1 4→0 @3']);
  t.equal(shut[0]?.reason, 'cover_state is closed');

  t.same(brief(h.read('d1', 'a', 4, 2).transitions), ['any/d1 0→2 @4']);
  t.same(brief(h.read('d1', 'b', 5, 9).transitions), ['any/d1 2→4 @5']);
  t.same(brief(h.read('d1', 'b', 6, 0).transitions), ['any/d1 4→2 @6']);
});

t.test('all mixing no_data and a threshold is timed', async (t) => {
  const r = rule({ id: 'mix', condition: { type: 'all', conditions: [{ type: 'no_data', metric: 'flow', after: { red: '1h' } }, { type: 'threshold', metric: 'depth_cm', thresholds: { red: 10 } }] } });
  const h = harness([r], [device('d1')]);
  h.read('d1', 'flow', 0, 1);
  h.read('d1', 'depth_cm', 60, 20);
  t.same(brief(h.advance(7200).transitions), ['mix/d1 0→4 @3600']);
});

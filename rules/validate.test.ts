import t from 'tap';
import type { SensorAdapter } from '../adapters/types.js';
import { validateRule, validateRuleSet, type RuleProblem } from './validate.js';

/** A valid waterlogging rule; each case below breaks one thing. */
function depthRule(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'depth',
    name: 'Depth',
    scope: { kinds: ['waterlogging'] },
    condition: { type: 'threshold', metric: 'depth_cm', thresholds: { blue: 15, yellow: 25, orange: 40, red: 50 } },
    grades: { red: { actions: { notify: ['sse'], acknowledge: true } } },
    ...over,
  };
}

function problems(input: unknown, opts = {}): RuleProblem[] {
  const r = validateRuleSet(input, opts);
  return r.ok ? [] : r.errors;
}

function problemsOfRule(rule: Record<string, unknown>, opts = {}): RuleProblem[] {
  const r = validateRule(rule, opts);
  return r.ok ? [] : r.errors;
}

t.test('a valid set comes back with the schema defaults filled in', async (t) => {
  const r = validateRuleSet({ rules: [depthRule()] });
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  const [rule] = r.rules;
  t.equal(rule?.enabled, true);
  t.equal(rule?.for, '0s');
  t.same(rule?.clear, { hysteresis: 0, clearFor: '0s' });
  t.same(rule?.condition, { type: 'threshold', metric: 'depth_cm', direction: 'above', thresholds: { blue: 15, yellow: 25, orange: 40, red: 50 } });
  t.same(rule?.grades.red?.actions, { notify: ['sse'], acknowledge: true, openCase: false, picture: false });
});

t.test('every schema error in the set is listed with its path, not just the first', async (t) => {
  const errors = problems({
    rules: [
      depthRule({ condition: { type: 'threshold', metric: 'depth_cm', thresholds: { red: 'high' } } }),
      depthRule({ id: 'Bad Id', for: '5 minutes' }),
      { id: 'c', condition: { type: 'all', conditions: [{ type: 'threshold', metric: 'depth_cm', thresholds: { red: 'x' } }, { type: 'rate', window: 'soon' }] }, grades: {} },
      depthRule({ id: 'd', category: 'flood', condition: { type: 'wat' } }),
      depthRule({ id: 'e', grades: { red: { actions: { acknowledge: 'yes' } } }, clear: { hysteresis: -1 } }),
    ],
  });
  t.same(errors, [
    { path: '/rules/0/condition/thresholds/red', problem: 'must be number' },
    { path: '/rules/1/id', problem: 'must match pattern "^[a-z0-9][a-z0-9_.-]{0,79}$"' },
    { path: '/rules/1/for', problem: 'must be a duration: a whole number with ms, s, m, h or d (e.g. 90s, 5m)' },
    { path: '/rules/2/name', problem: 'is required (missing: name)' },
    { path: '/rules/2/grades', problem: 'must not have fewer than 1 properties' },
    { path: '/rules/2/condition/conditions/0/thresholds/red', problem: 'must be number' },
    { path: '/rules/2/condition/conditions/1/thresholds', problem: 'is required (missing: thresholds)' },
    { path: '/rules/2/condition/conditions/1/window', problem: 'must be a duration: a whole number with ms, s, m, h or d (e.g. 90s, 5m)' },
    { path: '/rules/3/category', problem: 'must be one of rainstorm, gale, flash_flood, geological, fire, gas, structure, equipment, other' },
    { path: '/rules/3/condition/type', problem: 'must be one of threshold, rate, no_data, state, all, any, k_of_n; got "wat"' },
    { path: '/rules/4/grades/red/actions/acknowledge', problem: 'must be boolean or object' },
    { path: '/rules/4/clear/hysteresis', problem: 'must be >= 0' },
  ]);
});

t.test('the set itself must be { rules: [...] }', async (t) => {
  t.same(problems([depthRule()]), [{ path: '/', problem: 'must be object' }]);
  t.same(problems({ rules: [], extra: 1 }), [{ path: '/extra', problem: 'is not a known property (unexpected: extra)' }]);
  t.same(problems({ rules: [42] }), [{ path: '/rules/0', problem: 'must be object' }]);
});

t.test('conditions nest only as the model allows', async (t) => {
  t.same(problemsOfRule(depthRule({ condition: { type: 'all', conditions: [{ type: 'k_of_n' }, 5] } })), [
    { path: '/condition/conditions/0/type', problem: 'must be one of threshold, rate, no_data, state (all / any take leaf conditions only); got "k_of_n"' },
    { path: '/condition/conditions/1', problem: 'must be an object with a `type`' },
  ]);
  t.same(problemsOfRule(depthRule({ condition: { type: 'k_of_n', window: '5m', k: { red: 2 }, of: { type: 'k_of_n' } } })), [
    { path: '/condition/of/type', problem: 'must be one of threshold, rate, no_data, state, all, any (k_of_n does not nest); got "k_of_n"' },
  ]);
  t.same(problemsOfRule({ id: 'x', name: 'X', grades: { red: {} } }), [{ path: '/condition', problem: 'is required (missing: condition)' }]);
});

t.test('duplicate rule ids name the first use', async (t) => {
  t.same(problems({ rules: [depthRule(), depthRule({ id: 'other' }), depthRule()] }), [{ path: '/rules/2/id', problem: 'duplicate rule id "depth" (first used by /rules/0)' }]);
});

t.test('threshold and rate read exactly one of metric or expr', async (t) => {
  t.same(problemsOfRule(depthRule({ condition: { type: 'threshold', metric: 'depth_cm', expr: 'depth_cm * 10', thresholds: { red: 1 } } })), [
    { path: '/condition', problem: 'a threshold condition needs exactly one of metric or expr (got both)' },
  ]);
  t.same(problemsOfRule(depthRule({ condition: { type: 'rate', window: '10m', thresholds: { red: 1 } } })), [
    { path: '/condition', problem: 'a rate condition needs exactly one of metric or expr (got neither)' },
  ]);
});

t.test('expressions parse and name known numeric metrics', async (t) => {
  const manhole = (expr: string) => depthRule({ scope: { kinds: ['manhole_cover'] }, condition: { type: 'threshold', expr, thresholds: { yellow: 10 } } });
  t.same(problemsOfRule(manhole('max(abs(tilt_x_deg), abs(tilt_y_deg))')), []);
  const [syntax] = problemsOfRule(manhole('max(abs(tilt_x_deg), tilt_y_deg'));
  t.equal(syntax?.path, '/condition/expr');
  t.match(syntax?.problem, /expected "\)"/);
  t.same(problemsOfRule(manhole('max(tilt_x_deg, tilt_z_deg, cover_state)')), [
    { path: '/condition/expr', problem: 'metric "tilt_z_deg" is not exposed by any adapter of kind manhole_cover (exposes: tilt_x_deg, tilt_y_deg, cover_state, water_level_cm, water_state, battery_pct); did you mean "tilt_x_deg"?' },
    { path: '/condition/expr', problem: 'cover_state is a state metric (closed, open); a threshold condition needs a numeric metric (use a state condition)' },
  ]);
});

t.test('thresholds run in grade order for the direction', async (t) => {
  t.same(problemsOfRule(depthRule({ condition: { type: 'threshold', metric: 'depth_cm', thresholds: { blue: 15, yellow: 25, orange: 20, red: 20 } } })), [
    { path: '/condition/thresholds/orange', problem: 'orange 20 is below yellow 25: with direction above, thresholds must not fall from blue to red' },
  ]);
  const battery = (thresholds: object) => depthRule({ condition: { type: 'threshold', metric: 'battery_pct', direction: 'below', thresholds } });
  t.same(problemsOfRule(battery({ blue: 30, yellow: 20, red: 5 })), []);
  t.same(problemsOfRule(battery({ blue: 20, yellow: 30 })), [
    { path: '/condition/thresholds/yellow', problem: 'yellow 30 is above blue 20: with direction below, thresholds must not rise from blue to red' },
  ]);
  t.same(problemsOfRule(depthRule({ condition: { type: 'rate', metric: 'depth_cm', window: '10m', direction: 'fall', thresholds: { blue: 10, red: 5 } } })), [
    { path: '/condition/thresholds/red', problem: 'red 5 is below blue 10: rate thresholds must not fall from blue to red' },
  ]);
});

t.test('no_data after and k_of_n k grow with grade; windows are longer than 0', async (t) => {
  t.same(problemsOfRule(depthRule({ condition: { type: 'no_data', after: { blue: '2h', yellow: '2h', red: '90m' } } })), [
    { path: '/condition/after/yellow', problem: 'yellow 2h is not more than blue 2h: after must grow from blue to red (longer silence, higher grade)' },
    { path: '/condition/after/red', problem: 'red 90m is not more than yellow 2h: after must grow from blue to red (longer silence, higher grade)' },
  ]);
  t.same(problemsOfRule(depthRule({ condition: { type: 'no_data', after: { blue: '0s' } } })), [{ path: '/condition/after/blue', problem: 'must be longer than 0' }]);
  const smoke = { type: 'state', metric: 'alarm_state', states: { red: ['alarm'] } };
  t.same(problemsOfRule(depthRule({ scope: { kinds: ['smoke'] }, condition: { type: 'k_of_n', of: smoke, window: '0s', k: { orange: 3, red: 3 } } })), [
    { path: '/condition/k/red', problem: 'red 3 is not more than orange 3: k must grow from blue to red (more devices, higher grade)' },
    { path: '/condition/window', problem: 'must be longer than 0' },
  ]);
  t.same(problemsOfRule(depthRule({ condition: { type: 'rate', metric: 'depth_cm', window: '0m', thresholds: { red: 5 } } })), [{ path: '/condition/window', problem: 'must be longer than 0' }]);
  t.same(problemsOfRule(depthRule({ grades: { red: { actions: { acknowledge: { deadline: '0s', remindEvery: '1m' } } } } })), [
    { path: '/grades/red/actions/acknowledge/deadline', problem: 'must be longer than 0' },
  ]);
});

t.test('kinds must be known; a wrong kind is one error, not one per metric', async (t) => {
  t.same(problemsOfRule(depthRule({ scope: { kinds: ['waterlogging', 'flood_gauge'] } })), [
    { path: '/scope/kinds/1', problem: 'unknown device kind "flood_gauge" (known: generic, waterlogging, water_level, smoke, manhole_cover, gas, electrical_fire, tilt)' },
  ]);
});

t.test('metrics must be exposed by an adapter of a kind in scope', async (t) => {
  t.same(problemsOfRule(depthRule({ scope: { kinds: ['smoke'] } })), [
    { path: '/condition/metric', problem: 'metric "depth_cm" is not exposed by any adapter of kind smoke (exposes: alarm_state, obscuration_pct_m, temperature_c, battery_pct)' },
  ]);
  // With no kind named, any adapter's metric will do, but not a made-up one.
  t.same(problemsOfRule(depthRule({ scope: {} })), []);
  t.same(problemsOfRule(depthRule({ scope: {}, condition: { type: 'threshold', metric: 'depth', thresholds: { red: 5 } } })), [
    { path: '/condition/metric', problem: 'no adapter exposes metric "depth" (a metric a generic device names itself needs scope.kinds [generic])' },
  ]);
  // Generic devices name their own metrics: scoped to them, any name is accepted.
  t.same(problemsOfRule(depthRule({ scope: { kinds: ['generic'] }, condition: { type: 'threshold', metric: 'flow_l_s', thresholds: { red: 5 } } })), []);
  t.same(problemsOfRule(depthRule({ condition: { type: 'no_data', metric: 'depth_m', after: { blue: '1h' } } })), [
    { path: '/condition/metric', problem: 'metric "depth_m" is not exposed by any adapter of kind waterlogging (exposes: depth_cm, battery_pct, water_temp_c); did you mean "depth_cm"?' },
  ]);
});

t.test('state conditions name states the metric can take; numeric conditions read numbers', async (t) => {
  const smoke = (condition: object) => depthRule({ scope: { kinds: ['smoke'] }, condition });
  t.same(problemsOfRule(smoke({ type: 'state', metric: 'alarm_state', states: { yellow: ['fault', 'tampered'], red: ['alarm'] } })), [
    { path: '/condition/states/yellow/1', problem: '"tampered" is not a state alarm_state can take (normal, alarm, silenced, fault, tamper, low_battery, test)' },
  ]);
  t.same(problemsOfRule(smoke({ type: 'state', metric: 'temperature_c', states: { red: ['hot'] } })), [
    { path: '/condition/metric', problem: 'temperature_c is numeric (°C); a state condition needs a state metric (use a threshold condition)' },
  ]);
  t.same(problemsOfRule(smoke({ type: 'threshold', metric: 'alarm_state', thresholds: { red: 1 } })), [
    { path: '/condition/metric', problem: 'alarm_state is a state metric (normal, alarm, silenced, fault, tamper, low_battery, test); a threshold condition needs a numeric metric (use a state condition)' },
  ]);
});

t.test('leaves inside all / any and k_of_n are checked with their paths', async (t) => {
  const rule = depthRule({
    scope: { kinds: ['manhole_cover'] },
    condition: {
      type: 'k_of_n',
      window: '10m',
      k: { orange: 2 },
      of: { type: 'all', conditions: [{ type: 'state', metric: 'cover_state', states: { orange: ['ajar'] } }, { type: 'threshold', metric: 'depth_cm', thresholds: { orange: 5 } }] },
    },
  });
  t.same(
    problemsOfRule(rule).map((e) => e.path),
    ['/condition/of/conditions/0/states/orange/0', '/condition/of/conditions/1/metric'],
  );
});

t.test('notifier names are checked when the configured ones are passed in', async (t) => {
  const rule = depthRule({ grades: { orange: { actions: { notify: ['sse', 'ops-webhook'] } }, red: { actions: { notify: ['mqtt', 'sms'] } } } });
  t.same(problemsOfRule(rule), [], 'not checked without a list');
  t.same(problemsOfRule(rule, { notifiers: ['ops-webhook'] }), [{ path: '/grades/red/actions/notify/1', problem: 'no notifier "sms" (configured: ops-webhook; built in: sse, mqtt)' }]);
});

t.test('schedules name a real time zone', async (t) => {
  const rule = depthRule({ schedule: { timezone: 'Asia/Shangai', windows: [{ months: [6, 7, 8, 9] }] } });
  t.same(problemsOfRule(rule), [{ path: '/schedule/timezone', problem: '"Asia/Shangai" is not an IANA time zone (e.g. Asia/Shanghai)' }]);
  t.same(problemsOfRule(depthRule({ schedule: { windows: [{ months: [6, 7, 8, 9] }] } })), []);
});

t.test('the adapters checked against can be passed in', async (t) => {
  const rain: SensorAdapter = {
    id: 'rain-test',
    vendor: 'Test',
    model: 'R1',
    kind: 'water_level',
    description: 'test double',
    encoding: 'json',
    topics: ['up'],
    exposes: [{ name: 'rain_rate_mm_h', type: 'numeric', unit: 'mm/h', min: 0, max: 500, description: 'rain rate' }],
    decode: () => ({ ok: true, readings: [] }),
  };
  const rule = depthRule({ scope: { kinds: ['water_level'] }, condition: { type: 'threshold', metric: 'rain_rate_mm_h', thresholds: { red: 50 } } });
  t.same(problemsOfRule(rule, { adapters: [rain] }), []);
  t.equal(problemsOfRule(rule).length, 1, 'the registry has no such metric');
});

t.test('validateRule paths are relative to the rule', async (t) => {
  const r = validateRule(depthRule({ condition: { type: 'threshold', metric: 'depth_cm', thresholds: { blue: 30, yellow: 20 } } }));
  t.same(r, { ok: false, errors: [{ path: '/condition/thresholds/yellow', problem: 'yellow 20 is below blue 30: with direction above, thresholds must not fall from blue to red' }] });
  t.same(validateRule(42), { ok: false, errors: [{ path: '/', problem: 'must be object' }] });
});

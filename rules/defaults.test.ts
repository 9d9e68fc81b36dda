/** The shipped default rule sets: valid against the adapter registry, and covering every kind. */
import t from 'tap';
import { sensorAdapters } from '../adapters/index.js';
import { deviceKinds } from '../adapters/types.js';
import { defaultRules, defaultRulesDir, loadRuleDir } from './load.js';

t.test('every default rule passes validation', async (t) => {
  const r = loadRuleDir(defaultRulesDir, { notifiers: [] });
  t.same(r.ok ? [] : r.errors, []);
  t.ok(defaultRules().length > 0);
});

t.test('every device kind has an offline (no_data) rule of its own', async (t) => {
  const rules = defaultRules();
  for (const kind of deviceKinds) {
    const offline = rules.filter((r) => r.condition.type === 'no_data' && r.scope.kinds.length === 1 && r.scope.kinds[0] === kind);
    t.equal(offline.length, 1, `${kind} has one offline rule`);
  }
});

t.test('every built-in sensor kind with metrics has a rule reading them', async (t) => {
  const rules = defaultRules();
  for (const a of sensorAdapters.filter((a) => a.exposes.length > 0)) {
    const reading = rules.filter((r) => r.scope.kinds.includes(a.kind) && r.condition.type !== 'no_data');
    t.ok(reading.length > 0, `${a.kind} (${a.id})`);
  }
});

t.test('the starting thresholds from the domain notes', async (t) => {
  const byId = new Map(defaultRules().map((r) => [r.id, r]));
  const thresholds = (id: string) => {
    const c = byId.get(id)?.condition;
    return c?.type === 'threshold' ? c.thresholds : undefined;
  };
  t.same(thresholds('waterlogging-depth'), { blue: 15, yellow: 25, orange: 40, red: 50 });
  t.same(thresholds('gas-ch4'), { orange: 25, red: 50 }, 'GB/T 50493-2019 level 1 and 2');
  t.same(thresholds('electrical-residual-current'), { yellow: 300, orange: 500 }, 'GB 50116-2013 §9.2.3');
  const depth = byId.get('waterlogging-depth');
  t.same(depth?.grades.red?.actions, { notify: ['sse'], acknowledge: true, openCase: true, picture: true });
  t.same(depth?.grades.orange?.actions, { notify: ['sse'], acknowledge: true, openCase: false, picture: true });
  t.equal(depth?.category, 'rainstorm');
  const smoke = byId.get('smoke-alarm')?.condition;
  t.same(smoke?.type === 'state' ? smoke.states.red : undefined, ['alarm']);
  const block = byId.get('smoke-alarms-in-block')?.condition;
  t.same(block?.type === 'k_of_n' ? block.k : undefined, { red: 2 });
});

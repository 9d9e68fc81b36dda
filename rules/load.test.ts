import t from 'tap';
import { join } from 'node:path';
import { formatProblem, loadRuleDir, loadRuleFile, loadRules } from './load.js';

const rule = (id: string) => `- id: ${id}
  name: ${id}
  scope: { kinds: [waterlogging] }
  condition: { type: threshold, metric: depth_cm, thresholds: { blue: 15, red: 50 } }
  grades: { red: { actions: { notify: [sse] } } }
`;

const indent = (text: string) => text.replace(/^(?=.)/gm, '  ');

t.test('a file holds { rules: [...] }, a list of rules, or one rule; YAML or JSON', async (t) => {
  const dir = t.testdir({
    'set.yaml': `rules:\n${indent(rule('a'))}`,
    'list.yml': rule('b') + rule('c'),
    'one.yaml': rule('d').replace(/^- /, '').replace(/^ {2}/gm, ''),
    'set.json': JSON.stringify({ rules: [{ id: 'e', name: 'E', condition: { type: 'no_data', after: { blue: '1h' } }, grades: { blue: {} } }] }),
  });
  for (const [file, ids] of [['set.yaml', ['a']], ['list.yml', ['b', 'c']], ['one.yaml', ['d']], ['set.json', ['e']]] as const) {
    const r = loadRuleFile(join(dir, file));
    if (!r.ok) return t.fail(`${file}: ${r.errors.map(formatProblem).join('; ')}`);
    t.same(r.rules.map((x) => x.id), ids, file);
    t.same(r.files, [{ file: join(dir, file), rules: ids.length }]);
  }
  const all = loadRuleDir(dir);
  t.ok(all.ok);
  if (all.ok) t.same(all.rules.map((r) => r.id).sort(), ['a', 'b', 'c', 'd', 'e']);
});

t.test('problems name the file, the path as written, and the line and column', async (t) => {
  const dir = t.testdir({
    'a.yaml': `rules:\n${indent(rule('a'))}  - id: b\n    name: B\n    condition: { type: threshold, metric: depth_cm, thresholds: { red: deep } }\n    grades: { red: {} }\n`,
    'b.yaml': rule('x').replace('depth_cm', 'depth'),
    'c.json': '{\n  "id": "y",\n  "name": "Y",\n  "condition": { "type": "state", "metric": "cover_state", "states": { "orange": ["ajar"] } },\n  "grades": { "orange": {} }\n}\n',
  });
  const r = loadRuleDir(dir);
  if (r.ok) return t.fail('should fail');
  t.same(r.errors.map(formatProblem), [
    `${join(dir, 'a.yaml')}:9:72 /rules/1/condition/thresholds/red: must be number`,
    `${join(dir, 'b.yaml')}:4:41 /0/condition/metric: metric "depth" is not exposed by any adapter of kind waterlogging (exposes: depth_cm, battery_pct, water_temp_c)`,
    `${join(dir, 'c.json')}:4:83 /condition/states/orange/0: "ajar" is not a state cover_state can take (closed, open)`,
  ]);
});

t.test('a missing field points at the nearest thing that is there', async (t) => {
  const dir = t.testdir({ 'a.yaml': 'rules:\n  - id: a\n    name: A\n    grades: { red: {} }\n' });
  const r = loadRuleFile(join(dir, 'a.yaml'));
  t.same(r.ok ? [] : r.errors, [{ file: join(dir, 'a.yaml'), path: '/rules/0/condition', problem: 'is required (missing: condition)', line: 2, column: 5 }]);
});

t.test('YAML syntax errors give line and column, for every error in the file', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'rules:\n  - id: a\n    name: [unclosed\n  - id: b\n', 'dup.yaml': 'id: a\nid: b\n' });
  const bad = loadRuleFile(join(dir, 'bad.yaml'));
  if (bad.ok) return t.fail('should fail');
  t.ok(bad.errors.length >= 1);
  for (const e of bad.errors) {
    t.match(e.problem, /^not valid YAML: /);
    t.type(e.line, 'number');
    t.type(e.column, 'number');
  }
  const dup = loadRuleFile(join(dir, 'dup.yaml'));
  t.same(dup.ok ? [] : dup.errors, [{ file: join(dir, 'dup.yaml'), path: '', problem: 'not valid YAML: Map keys must be unique', line: 2, column: 1 }]);
});

t.test('an empty file, a scalar, or an unreadable path is an error', async (t) => {
  const dir = t.testdir({ 'empty.yaml': '', 'scalar.yaml': '42\n', sub: {} });
  t.same(loadRuleFile(join(dir, 'empty.yaml')), { ok: false, errors: [{ file: join(dir, 'empty.yaml'), path: '', problem: 'is empty: expected { rules: [...] }, one rule, or a list of rules' }] });
  t.same(loadRuleFile(join(dir, 'scalar.yaml')), { ok: false, errors: [{ file: join(dir, 'scalar.yaml'), path: '', problem: 'expected { rules: [...] }, one rule, or a list of rules' }] });
  t.same(loadRuleDir(join(dir, 'sub')), { ok: false, errors: [{ file: join(dir, 'sub'), path: '', problem: 'holds no rule files (*.yaml, *.yml, *.json)' }] });
  const gone = loadRules(join(dir, 'nope.yaml'));
  t.match(gone.ok ? '' : gone.errors[0]?.problem, /^cannot read: ENOENT/);
});

t.test('rule ids are unique across the files of a directory', async (t) => {
  const dir = t.testdir({ 'a.yaml': rule('same'), 'b.yaml': rule('other') + rule('same') });
  const r = loadRuleDir(dir);
  t.same(r.ok ? [] : r.errors.map(formatProblem), [`${join(dir, 'b.yaml')}:6:7 /1/id: duplicate rule id "same" (also in ${join(dir, 'a.yaml')} /0/id)`]);
});

t.test('loadRules takes a file or a directory', async (t) => {
  const dir = t.testdir({ 'a.yaml': rule('a'), 'notes.txt': 'not rules' });
  t.ok(loadRules(dir).ok);
  t.ok(loadRules(join(dir, 'a.yaml')).ok);
});

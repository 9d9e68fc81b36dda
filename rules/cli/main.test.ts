/** `cityops rules` in process (the spawned command is cli.test.ts): fixture errors and usage. */
import t from 'tap';
import { join } from 'node:path';
import { runRulesCli } from './main.js';
import { depthRuleYaml as depthRule, repoRoot } from './test-support.js';

const fixtures = join(repoRoot, 'rules/fixtures');
const defaults = join(repoRoot, 'rules/defaults');

async function rules(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runRulesCli(args, { out: (l) => (out += `${l}\n`), err: (l) => (err += `${l}\n`) });
  return { code, out, err };
}

t.test('test: an invalid fixture says what is wrong with it', async (t) => {
  const dir = t.testdir({
    'bad.yaml': [
      'rules: [no-such-rule]',
      'devices: [{ id: d1, kind: waterlogging, blockCode: "31011500100100101" }]',
      'readings:',
      '  - { device: d1, metric: depth_cm, time: +5m, value: 3 }',
      '  - { device: d2, metric: depth_cm, time: "2024-07-01T08:00:00", value: 3, state: wet }',
      'expect: { transitions: [{ device: d1, grade: blue, at: +1h }] }',
      '',
    ].join('\n'),
    'unknown-rule.yaml': 'start: 2024-07-01T08:00:00Z\nrules: [no-such-rule]\ndevices: [{ id: d1, kind: waterlogging, blockCode: "31011500100100101" }]\nreadings: []\nexpect: { transitions: [] }\n',
  });
  const r = await rules(['test', defaults, '--fixtures', dir]);
  t.equal(r.code, 1);
  t.match(r.out, /FAIL .*bad\.yaml: invalid fixture/);
  t.match(r.out, /\/readings\/0\/time: offset "\+5m" needs `start`/);
  t.match(r.out, /\/readings\/1: needs exactly one of value or state/);
  t.match(r.out, /\/readings\/1\/device: "d2" is not in devices/);
  t.match(r.out, /\/readings\/1\/time: "2024-07-01T08:00:00" needs a zone/);
  t.match(r.out, /\/expect\/transitions\/0: needs fingerprint, or rule with device or block/);
  t.match(r.out, /FAIL .*unknown-rule\.yaml[^]*\/rules: no rule "no-such-rule" in the rule set/);
});

t.test('test: invalid rules are refused before any fixture runs', async (t) => {
  const dir = t.testdir({ 'r.yaml': depthRule('sse').replace('depth_cm', 'depth') });
  const r = await rules(['test', join(dir, 'r.yaml'), '--fixtures', fixtures]);
  t.equal(r.code, 1);
  t.match(r.err, /r\.yaml:5:43 \/rules\/0\/condition\/metric: metric "depth" is not exposed/);
  t.match(r.err, /FAILED: the rules in .* are invalid/);
  t.equal(r.out, '');
});

t.test('usage errors exit 2 and say how to get help', async (t) => {
  const none = await rules(['check']);
  t.equal(none.code, 2);
  t.match(none.err, /Usage: cityops rules check <file\|dir>/);
  const noFixtures = await rules(['test', defaults]);
  t.equal(noFixtures.code, 2);
  t.match(noFixtures.err, /--fixtures/);
  const unknown = await rules(['frob']);
  t.equal(unknown.code, 2);
  t.match(unknown.err, /unknown rules command "frob"/);
  const help = await rules(['help']);
  t.equal(help.code, 0);
  for (const c of ['check', 'test', 'backtest']) t.match(help.out, `cityops rules ${c}`);
});

/** `cityops rules check|test` end to end: the real command, spawned as operators run it. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cityops, depthRuleYaml as depthRule, repoRoot } from './test-support.js';

const fixtures = join(repoRoot, 'rules/fixtures');
const defaults = join(repoRoot, 'rules/defaults');

t.test('check: the default rule sets pass, with a summary', async (t) => {
  const r = await cityops(['rules', 'check', defaults]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /waterlogging\.yaml: 2 rules\n/);
  t.match(r.out, /SUCCESS: \d+ rules in 8 files \(.*waterlogging 2/);
  t.equal(r.err, '');
});

t.test('check: every problem printed as file:line:col /path: problem, exit 1', async (t) => {
  const dir = t.testdir({
    'a.yaml': depthRule('sse').replace('thresholds: { blue: 15, red: 50 }', 'thresholds: { blue: 55, red: 50 }').replace('for: 1m', 'for: 1 minute'),
    'b.yaml': 'rules:\n  - id: b\n    name: [broken\n',
  });
  const r = await cityops(['rules', 'check', dir]);
  t.equal(r.code, 1);
  t.equal(r.out, '');
  t.same(r.err.trim().split('\n'), [
    `${join(dir, 'a.yaml')}:6:10 /rules/0/for: must be a duration: a whole number with ms, s, m, h or d (e.g. 90s, 5m)`,
    `${join(dir, 'b.yaml')}:4:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    'FAILED: 2 problems in 2 files',
  ]);
  const sem = await cityops(['rules', 'check', join(t.testdir({ 'c.yaml': depthRule('sse').replace('blue: 15', 'blue: 55') }), 'c.yaml')]);
  t.equal(sem.code, 1);
  t.match(sem.err, /c\.yaml:5:82 \/rules\/0\/condition\/thresholds\/red: red 50 is below blue 55/);
});

t.test('check --config: notifier names are checked against the configuration', async (t) => {
  const dir = t.testdir({
    'cityops.yaml': 'notifiers:\n  - { name: ops-webhook, type: webhook, url: "http://127.0.0.1:9/hook" }\n',
    'good.yaml': depthRule('sse, ops-webhook'),
    'bad.yaml': depthRule('sms'),
  });
  const good = await cityops(['rules', 'check', join(dir, 'good.yaml'), '--config', join(dir, 'cityops.yaml')]);
  t.equal(good.code, 0, good.err);
  const bad = await cityops(['rules', 'check', join(dir, 'bad.yaml'), '--config', join(dir, 'cityops.yaml')]);
  t.equal(bad.code, 1);
  t.match(bad.err, /\/rules\/0\/grades\/red\/actions\/notify\/0: no notifier "sms" \(configured: ops-webhook; built in: sse, mqtt\)/);
  const unchecked = await cityops(['rules', 'check', join(dir, 'bad.yaml')]);
  t.equal(unchecked.code, 0, 'without --config, names are not checked');
});

t.test('test: the shipped waterlogging fixtures pass against the defaults', async (t) => {
  const r = await cityops(['rules', 'test', defaults, '--fixtures', fixtures]);
  t.equal(r.code, 0, r.out + r.err);
  t.match(r.out, /PASS .*waterlogging-rising\.yaml/);
  t.match(r.out, /PASS .*waterlogging-receding\.yaml/);
  t.match(r.out, /PASS .*waterlogging-offline\.yaml/);
  t.match(r.out, /SUCCESS: 3 cases passed/);
});

t.test('test: a mismatch prints a diff per case and exits 1', async (t) => {
  const rising = readFileSync(join(fixtures, 'waterlogging-rising.yaml'), 'utf8');
  const dir = t.testdir({
    'a-wrong-time.yaml': rising.replace('grade: red, at: +7m20s', 'grade: red, at: +7m'),
    'b-missing.yaml': rising.replace(/ {4}- \{ rule: waterlogging-depth, device: wl-underpass-1, from: blue.*\n/, ''),
    'c-ok.yaml': rising,
    'd-active.yaml': rising.replace('grade: red }\n', 'grade: orange }\n'),
  });
  const r = await cityops(['rules', 'test', defaults, '--fixtures', dir]);
  t.equal(r.code, 1);
  const out = r.out;
  t.match(out, /FAIL .*a-wrong-time\.yaml: waterlogging depth rising/);
  t.match(out, /- waterlogging-depth\/wl-underpass-1 orange → red at \+7m {3}\(expected, not given\)/);
  t.match(out, /\+ waterlogging-depth\/wl-underpass-1 orange → red at \+7m20s {3}\(given, not expected\)/);
  t.match(out, /FAIL .*b-missing\.yaml[^]*\+ waterlogging-depth\/wl-underpass-1 blue → yellow at \+4m {3}\(given, not expected\)/);
  t.match(out, /PASS .*c-ok\.yaml/);
  t.match(out, /FAIL .*d-active\.yaml[^]*active at the end \(\+10m\):\n {4}- waterlogging-depth\/wl-underpass-1 orange {3}\(expected, not up\)\n {4}\+ waterlogging-depth\/wl-underpass-1 red {3}\(up, not expected\)/);
  t.match(out, /all transitions given:\n {4}\+2m waterlogging-depth\/wl-underpass-1 none → blue: depth_cm 19 ≥ 15 \(blue\) for 1m/);
  t.match(out, /FAILED: 3 of 4 cases/);
});

t.test('the top-level help lists the rules commands; an unknown option exits 2', async (t) => {
  const top = await cityops(['help']);
  t.match(top.out, /cityops rules check\|test\|backtest/);
  const option = await cityops(['rules', 'check', defaults, '--bogus']);
  t.equal(option.code, 2);
  t.match(option.err, /Unknown option '--bogus'[^]*cityops rules help/);
});

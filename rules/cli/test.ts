import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, loadRules } from '../load.js';
import { loadFixture } from './fixture.js';
import { diffFixture, runFixture } from './fixture-run.js';
import type { CliIo } from './io.js';

export const testUsage = `Usage: cityops rules test <rules file|dir> --fixtures <dir|file>

Runs each fixture (*.yaml, *.yml, *.json: devices, readings with times, expected transitions and
optionally the warnings up at the end) through the rule engine with the fixture's own times, and
prints a diff for each case that does not match. Exit 1 on any mismatch (like promtool test rules).
See docs/rules.md "Testing rules".`;

/** `cityops rules test`: offline, no database; the engine is the one the gateway runs. */
export function runTestCli(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, options: { fixtures: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    io.out(testUsage);
    return 0;
  }
  const [rulesPath, ...extra] = positionals;
  if (rulesPath === undefined || extra.length > 0 || values.fixtures === undefined) {
    io.err(testUsage);
    return 2;
  }
  const loaded = loadRules(rulesPath);
  if (!loaded.ok) {
    for (const p of loaded.errors) io.err(formatProblem(p));
    io.err(`FAILED: the rules in ${rulesPath} are invalid; run \`cityops rules check ${rulesPath}\``);
    return 1;
  }
  const files = fixtureFiles(values.fixtures);
  if (typeof files === 'string') {
    io.err(files);
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    const lines = runCase(file, loaded.rules);
    if (lines.ok) {
      io.out(`PASS ${file}: ${lines.name}`);
      continue;
    }
    failed++;
    io.out(`FAIL ${file}: ${lines.name}`);
    for (const l of lines.diff) io.out(`  ${l}`);
  }
  io.out(failed === 0 ? `SUCCESS: ${files.length} case${files.length === 1 ? '' : 's'} passed` : `FAILED: ${failed} of ${files.length} case${files.length === 1 ? '' : 's'}`);
  return failed === 0 ? 0 : 1;
}

function runCase(file: string, all: Parameters<typeof runFixture>[0]): { ok: boolean; name: string; diff: string[] } {
  const res = loadFixture(file);
  if (!res.ok) return { ok: false, name: 'invalid fixture', diff: res.errors };
  const c = res.fixtureCase;
  const only = c.fixture.rules;
  const unknown = (only ?? []).filter((id) => !all.some((r) => r.id === id));
  if (unknown.length > 0) return { ok: false, name: c.name, diff: unknown.map((id) => `/rules: no rule "${id}" in the rule set`) };
  const rules = only ? all.filter((r) => only.includes(r.id)) : all;
  const diff = diffFixture(c, runFixture(rules, c));
  return { ok: diff.length === 0, name: c.name, diff };
}

function fixtureFiles(path: string): string[] | string {
  try {
    if (!statSync(path).isDirectory()) return [path];
    const names = readdirSync(path).filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
    return names.length > 0 ? names.map((n) => join(path, n)) : `no fixtures (*.yaml, *.yml, *.json) in ${path}`;
  } catch (e) {
    return `cannot read fixtures ${path}: ${(e as Error).message}`;
  }
}

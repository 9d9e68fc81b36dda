import { parseArgs } from 'node:util';
import { loadConfig } from '../../gateway/config/load.js';
import { isGatewayError } from '../../gateway/core/errors.js';
import { formatProblem, loadRules } from '../load.js';
import type { CliIo } from './io.js';

export const checkUsage = `Usage: cityops rules check <file|dir> [--config FILE]

Validates a rule file (YAML or JSON) or every *.yaml, *.yml and *.json in a directory, offline:
schema, grade order, metrics the scoped kinds expose, durations. With --config, notifier names in
actions.notify are checked against the configuration's notifiers. Exit 1 when anything is wrong.`;

/** `cityops rules check`: every problem as `file:line:col /path: problem`, like amtool check-config. */
export function runCheckCli(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    io.out(checkUsage);
    return 0;
  }
  const [path, ...extra] = positionals;
  if (path === undefined || extra.length > 0) {
    io.err(checkUsage);
    return 2;
  }
  let notifiers: string[] | undefined;
  if (values.config !== undefined) {
    try {
      notifiers = loadConfig({ file: values.config }).config.notifiers.map((n) => n.name);
    } catch (e) {
      io.err(isGatewayError(e) ? `${e.code}: ${e.message}` : String(e));
      return 2;
    }
  }
  const res = loadRules(path, notifiers ? { notifiers } : {});
  if (!res.ok) {
    for (const p of res.errors) io.err(formatProblem(p));
    const files = new Set(res.errors.map((p) => p.file)).size;
    io.err(`FAILED: ${res.errors.length} problem${res.errors.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}`);
    return 1;
  }
  for (const f of res.files) io.out(`${f.file}: ${f.rules} rule${f.rules === 1 ? '' : 's'}`);
  const kinds = new Map<string, number>();
  for (const r of res.rules) for (const k of r.scope.kinds.length > 0 ? r.scope.kinds : ['any kind']) kinds.set(k, (kinds.get(k) ?? 0) + 1);
  const byKind = [...kinds].map(([k, n]) => `${k} ${n}`).join(', ');
  io.out(`SUCCESS: ${res.rules.length} rules in ${res.files.length} file${res.files.length === 1 ? '' : 's'}${byKind ? ` (${byKind})` : ''}`);
  return 0;
}

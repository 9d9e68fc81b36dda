import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { GatewayError } from '../gateway/core/errors.js';
import type { Rule } from './schema.js';
import { validateRuleSet, type ValidateOptions } from './validate.js';

/**
 * Rule files: YAML or JSON holding `{ rules: [...] }`, one rule object, or a list of rules. Every
 * problem names the file, the path inside it and, when the file says where, line and column.
 */

export interface RuleFileProblem {
  file: string;
  /** JSON pointer into the file as written (`/rules/0/…`, `/0/…` for a list, `/…` for one rule). */
  path: string;
  problem: string;
  line?: number;
  column?: number;
}

export type LoadResult = { ok: true; rules: Rule[]; files: Array<{ file: string; rules: number }> } | { ok: false; errors: RuleFileProblem[] };

const ruleFile = /\.(ya?ml|json)$/i;

export function loadRuleFile(file: string, opts: ValidateOptions = {}): LoadResult {
  return loadFiles([file], opts);
}

/** Every `*.yaml`, `*.yml` and `*.json` in `dir` (not recursive), in name order, as one set. */
export function loadRuleDir(dir: string, opts: ValidateOptions = {}): LoadResult {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => ruleFile.test(n)).sort();
  } catch (e) {
    return fail(dir, `cannot read the directory: ${(e as Error).message}`);
  }
  if (names.length === 0) return fail(dir, 'holds no rule files (*.yaml, *.yml, *.json)');
  return loadFiles(names.map((n) => join(dir, n)), opts);
}

/** A file or a directory, whichever `path` is (the CLI's argument). */
export function loadRules(path: string, opts: ValidateOptions = {}): LoadResult {
  let dir: boolean;
  try {
    dir = statSync(path).isDirectory();
  } catch (e) {
    return fail(path, `cannot read: ${(e as Error).message}`);
  }
  return dir ? loadRuleDir(path, opts) : loadRuleFile(path, opts);
}

export const defaultRulesDir = fileURLToPath(new URL('./defaults/', import.meta.url));

/** The shipped default rule sets (rules/defaults/*.yaml); a test keeps them valid. */
export function defaultRules(): Rule[] {
  const r = loadRuleDir(defaultRulesDir);
  if (r.ok) return r.rules;
  throw new GatewayError(
    'GW_ERR_INTERNAL',
    `the default rule sets in ${defaultRulesDir} are invalid`,
    r.errors.map((e) => ({ field: `${basename(e.file)} ${e.path}`, message: e.problem })),
  );
}

/** `file:line:col /path: problem`, the way compilers print, so editors can jump to it. */
export function formatProblem(p: RuleFileProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return p.path ? `${where} ${p.path}: ${p.problem}` : `${where}: ${p.problem}`;
}

interface Source {
  file: string;
  doc: Document;
  lines: LineCounter;
  /** How the file holds its rules, which decides how set paths map back into it. */
  shape: 'set' | 'list' | 'single';
  value: unknown;
}

function loadFiles(files: readonly string[], opts: ValidateOptions): LoadResult {
  const errors: RuleFileProblem[] = [];
  const rules: Rule[] = [];
  const counts: Array<{ file: string; rules: number }> = [];
  const seen = new Map<string, { file: string; path: string }>();
  for (const file of files) {
    const src = readSource(file, errors);
    if (!src) continue;
    const set = src.shape === 'set' ? src.value : { rules: src.shape === 'list' ? src.value : [src.value] };
    const res = validateRuleSet(set, opts);
    if (!res.ok) {
      for (const e of res.errors) errors.push(located(src, localPath(src.shape, e.path), e.problem));
      continue;
    }
    res.rules.forEach((rule, i) => {
      const path = localPath(src.shape, `/rules/${i}/id`);
      const first = seen.get(rule.id);
      if (first) errors.push(located(src, path, `duplicate rule id "${rule.id}" (also in ${first.file} ${first.path})`));
      else seen.set(rule.id, { file, path });
    });
    rules.push(...res.rules);
    counts.push({ file, rules: res.rules.length });
  }
  return errors.length === 0 ? { ok: true, rules, files: counts } : { ok: false, errors };
}

function readSource(file: string, errors: RuleFileProblem[]): Source | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    errors.push({ file, path: '', problem: `cannot read: ${(e as Error).message}` });
    return undefined;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      errors.push({ file, path: '', problem: `not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '')}`, ...(pos ? { line: pos.line, column: pos.col } : {}) });
    }
    return undefined;
  }
  const value: unknown = doc.toJS();
  if (Array.isArray(value)) return { file, doc, lines, shape: 'list', value };
  if (typeof value === 'object' && value !== null) return { file, doc, lines, shape: 'rules' in value ? 'set' : 'single', value };
  errors.push({ file, path: '', problem: value === null || value === undefined ? 'is empty: expected { rules: [...] }, one rule, or a list of rules' : 'expected { rules: [...] }, one rule, or a list of rules' });
  return undefined;
}

/** `/rules/2/condition` of the validated set, as a path into the file as written. */
function localPath(shape: Source['shape'], setPath: string): string {
  if (shape === 'set') return setPath;
  const m = /^\/rules\/(\d+)(\/.*)?$/.exec(setPath);
  if (!m) return setPath;
  if (shape === 'list') return `/${m[1]}${m[2] ?? ''}`;
  return m[2] ?? '/';
}

/** Line and column of the deepest node on the path that exists in the file. */
function located(src: Source, path: string, problem: string): RuleFileProblem {
  const segments = path.split('/').slice(1).filter((s) => s !== '');
  for (let n = segments.length; n >= 0; n--) {
    const node = src.doc.getIn(segments.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = src.lines.linePos(node.range[0]);
      return { file: src.file, path, problem, line: pos.line, column: pos.col };
    }
  }
  return { file: src.file, path, problem };
}

function fail(file: string, problem: string): LoadResult {
  return { ok: false, errors: [{ file, path: '', problem }] };
}

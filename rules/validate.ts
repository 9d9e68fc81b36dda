import { Type, type TSchema, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { schemaErrors } from '../gateway/core/schema.js';
import type { ErrorDetail } from '../gateway/core/errors.js';
import { sensorAdapters } from '../adapters/index.js';
import type { SensorAdapter } from '../adapters/types.js';
import {
  Rule,
  RuleSet,
  DurationString,
  ThresholdCondition,
  RateCondition,
  NoDataCondition,
  StateCondition,
  KOfNCondition,
  type Condition,
  type LeafCondition,
  type CombinationCondition,
} from './schema.js';
import { checkRuleSemantics } from './semantics.js';

/**
 * Validates rule sets: the schema first (every error, with its path), then what the schema cannot
 * say (rules/semantics.ts). An invalid set never activates: callers refuse the whole set when
 * `ok` is false, in the spirit of `amtool check-config`.
 */

export interface RuleProblem {
  /** JSON pointer into the input, e.g. `/rules/3/condition/thresholds/red`. */
  path: string;
  problem: string;
}

export interface ValidateOptions {
  /** The adapters metrics are checked against (default: the registry, adapters/index.ts). */
  adapters?: readonly SensorAdapter[];
  /** Configured notifier names (config `notifiers[].name`); when given, `notify` entries are checked. */
  notifiers?: readonly string[];
}

export type RuleSetResult = { ok: true; rules: Rule[] } | { ok: false; errors: RuleProblem[] };
export type RuleResult = { ok: true; rule: Rule } | { ok: false; errors: RuleProblem[] };

/**
 * The schema is applied in layers, the condition by its `type`: a union reports every branch's
 * complaints (and typebox stops at the first bad array item), which names the wrong field.
 */
const RuleShell = Type.Object({ ...Rule.properties, condition: Type.Unknown() }, { additionalProperties: false });
const RuleSetShell = Type.Object({ ...RuleSet.properties, rules: Type.Array(Type.Unknown(), { maxItems: 10000 }) }, { additionalProperties: false });
const CombinationShell = Type.Object(
  { type: Type.Enum(['all', 'any']), conditions: Type.Array(Type.Unknown(), { minItems: 2, maxItems: 16 }) },
  { additionalProperties: false },
);
const KOfNShell = Type.Object({ ...KOfNCondition.properties, of: Type.Unknown() }, { additionalProperties: false });
const leafSchemas: Record<LeafCondition['type'], TSchema> = {
  threshold: ThresholdCondition,
  rate: RateCondition,
  no_data: NoDataCondition,
  state: StateCondition,
};
const leafTypes = Object.keys(leafSchemas);

export function validateRuleSet(input: unknown, opts: ValidateOptions = {}): RuleSetResult {
  const errors: RuleProblem[] = [];
  const set = shaped(RuleSetShell, input, '', errors);
  if (!set) return { ok: false, errors };
  const rules: Rule[] = [];
  const firstIndex = new Map<string, number>();
  set.rules.forEach((raw, i) => {
    const base = `/rules/${i}`;
    const id = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    if (id !== undefined) {
      const first = firstIndex.get(id);
      if (first === undefined) firstIndex.set(id, i);
      else errors.push({ path: `${base}/id`, problem: `duplicate rule id "${id}" (first used by /rules/${first})` });
    }
    const rule = checkRule(raw, base, opts, errors);
    if (rule) rules.push(rule);
  });
  // The layers above should have said everything; never let a set the full schema refuses through.
  if (errors.length === 0 && !Value.Check(RuleSet, { rules })) errors.push(...prefixed(readable(RuleSet, { rules }), ''));
  return errors.length === 0 ? { ok: true, rules } : { ok: false, errors };
}

/** One rule (the API's create / update); paths are relative to the rule, e.g. `/condition/metric`. */
export function validateRule(input: unknown, opts: ValidateOptions = {}): RuleResult {
  const errors: RuleProblem[] = [];
  const rule = checkRule(input, '', opts, errors);
  return rule && errors.length === 0 ? { ok: true, rule } : { ok: false, errors };
}

function checkRule(raw: unknown, base: string, opts: ValidateOptions, errors: RuleProblem[]): Rule | undefined {
  const shell = shaped(RuleShell, raw, base, errors);
  const condition = isObject(raw) && 'condition' in raw ? checkCondition(raw.condition, `${base}/condition`, 'top', errors) : undefined;
  if (!shell || !condition) return undefined;
  const rule: Rule = { ...shell, condition };
  if (!Value.Check(Rule, rule)) {
    errors.push(...prefixed(readable(Rule, rule), base));
    return undefined;
  }
  const before = errors.length;
  checkRuleSemantics(rule, base, { adapters: opts.adapters ?? sensorAdapters, notifiers: opts.notifiers }, errors);
  return errors.length === before ? rule : undefined;
}

type Level = 'top' | 'of' | 'inner';

function checkCondition(raw: unknown, path: string, level: Level, errors: RuleProblem[]): Condition | undefined {
  if (!isObject(raw)) {
    errors.push({ path, problem: 'must be an object with a `type`' });
    return undefined;
  }
  const type = raw.type;
  const allowed = level === 'inner' ? leafTypes : level === 'of' ? [...leafTypes, 'all', 'any'] : [...leafTypes, 'all', 'any', 'k_of_n'];
  if (typeof type !== 'string' || !allowed.includes(type)) {
    const why = level === 'inner' ? ' (all / any take leaf conditions only)' : level === 'of' ? ' (k_of_n does not nest)' : '';
    errors.push({ path: `${path}/type`, problem: `must be one of ${allowed.join(', ')}${why}; got ${JSON.stringify(type) ?? 'nothing'}` });
    return undefined;
  }
  const leaf = leafSchemas[type as LeafCondition['type']];
  if (leaf) return shaped(leaf, raw, path, errors) as LeafCondition | undefined;
  if (type === 'all' || type === 'any') {
    const shell = shaped(CombinationShell, raw, path, errors);
    const items = Array.isArray(raw.conditions) ? raw.conditions.map((c, i) => checkCondition(c, `${path}/conditions/${i}`, 'inner', errors)) : [];
    if (!shell || items.some((c) => c === undefined)) return undefined;
    return { ...shell, conditions: items as LeafCondition[] };
  }
  const shell = shaped(KOfNShell, raw, path, errors);
  const of = 'of' in raw ? checkCondition(raw.of, `${path}/of`, 'of', errors) : undefined;
  if (!shell || !of) return undefined;
  return { ...shell, of: of as LeafCondition | CombinationCondition };
}

/** Defaults applied, then checked; every schema error is pushed with the path prefixed. */
function shaped<S extends TSchema>(schema: S, raw: unknown, path: string, errors: RuleProblem[]): Static<S> | undefined {
  const value = Value.Default(schema, Value.Clone(raw));
  if (Value.Check(schema, value)) return value as Static<S>;
  errors.push(...prefixed(readable(schema, value), path));
  return undefined;
}

const durationPattern = `must match pattern "${(DurationString as { pattern?: string }).pattern ?? ''}"`;

/** schemaErrors, said the way a person editing a rule file needs it. */
function readable(schema: TSchema, value: unknown): ErrorDetail[] {
  const allowed = new Map<string, string>();
  for (const e of Value.Errors(schema, value) as Iterable<{ keyword: string; instancePath: string; params: Record<string, unknown> }>) {
    if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) allowed.set(e.instancePath || '/', e.params.allowedValues.join(', '));
  }
  const details = schemaErrors(schema, value).map((d) => {
    if (d.message === durationPattern) return { ...d, message: 'must be a duration: a whole number with ms, s, m, h or d (e.g. 90s, 5m)' };
    const list = allowed.get(d.field ?? '/');
    if (list && d.message === 'must be equal to one of the allowed values') return { ...d, message: `must be one of ${list}` };
    return d;
  });
  // A union (acknowledge: true or { deadline, … }) reports each branch; one line says what fits.
  const unions = new Set(details.filter((d) => d.message === 'must match a schema in anyOf').map((d) => d.field));
  const out: ErrorDetail[] = [];
  for (const d of details) {
    if (!unions.has(d.field)) out.push(d);
    else if (d.message === 'must match a schema in anyOf') {
      const kinds = details.filter((x) => x.field === d.field && x.message.startsWith('must be ')).map((x) => x.message.slice('must be '.length));
      out.push({ ...d, message: kinds.length > 0 ? `must be ${kinds.join(' or ')}` : d.message });
    }
  }
  return out;
}

function prefixed(details: readonly ErrorDetail[], path: string): RuleProblem[] {
  return details.map((d) => {
    const field = !d.field || d.field === '/' ? '' : d.field;
    return { path: `${path}${field}` || '/', problem: d.message };
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

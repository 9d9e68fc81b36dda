import { deviceKinds, type SensorAdapter } from '../adapters/types.js';
import { parseExpression } from './engine/expression.js';
import { metricCatalog, type MetricCatalog } from './catalog.js';
import { parseDuration } from './duration.js';
import { grades, type Condition, type Grade, type LeafCondition, type Rule } from './schema.js';

/**
 * What the rule schema cannot say, each problem with its path: one of metric / expr, expressions
 * that parse, metrics the scoped kinds expose with the right type and states, grades in order,
 * durations, known kinds and notifier names.
 */

export interface SemanticContext {
  adapters: readonly SensorAdapter[];
  notifiers: readonly string[] | undefined;
}

interface Problem {
  path: string;
  problem: string;
}

/** Channels that exist without configuration (gateway/outbox/types.ts). */
export const builtinNotifiers = ['sse', 'mqtt'] as const;

export function checkRuleSemantics(rule: Rule, base: string, ctx: SemanticContext, errors: Problem[]): void {
  const push = (path: string, problem: string) => errors.push({ path: `${base}${path}`, problem });
  const known: readonly string[] = deviceKinds;
  const badKinds = rule.scope.kinds.filter((k) => !known.includes(k));
  rule.scope.kinds.forEach((k, i) => {
    if (!known.includes(k)) push(`/scope/kinds/${i}`, `unknown device kind "${k}" (known: ${deviceKinds.join(', ')})`);
  });
  // With a kind misspelt every metric would look unknown too; one error says it.
  if (badKinds.length === 0) checkCondition(rule.condition, '/condition', metricCatalog(ctx.adapters, rule.scope.kinds), push);
  checkDurations(rule, push);
  checkNotifiers(rule, ctx.notifiers, push);
  if (rule.schedule && !isTimeZone(rule.schedule.timezone)) push('/schedule/timezone', `"${rule.schedule.timezone}" is not an IANA time zone (e.g. Asia/Shanghai)`);
}

type Push = (path: string, problem: string) => void;

function checkCondition(c: Condition, path: string, catalog: MetricCatalog, push: Push): void {
  switch (c.type) {
    case 'all':
    case 'any':
      c.conditions.forEach((leaf, i) => checkLeaf(leaf, `${path}/conditions/${i}`, catalog, push));
      return;
    case 'k_of_n':
      checkCondition(c.of, `${path}/of`, catalog, push);
      increasing(c.k, (n) => n, `${path}/k`, 'k must grow from blue to red (more devices, higher grade)', push);
      positive(c.window, `${path}/window`, push);
      return;
    default:
      checkLeaf(c, path, catalog, push);
  }
}

function checkLeaf(c: LeafCondition, path: string, catalog: MetricCatalog, push: Push): void {
  switch (c.type) {
    case 'threshold':
    case 'rate': {
      checkNumericInput(c, path, catalog, push);
      const up = c.type === 'rate' || c.direction === 'above';
      const why =
        c.type === 'rate'
          ? 'rate thresholds must not fall from blue to red'
          : up
            ? 'with direction above, thresholds must not fall from blue to red'
            : 'with direction below, thresholds must not rise from blue to red';
      ordered(c.thresholds, up, `${path}/thresholds`, why, push);
      if (c.type === 'rate') positive(c.window, `${path}/window`, push);
      return;
    }
    case 'no_data':
      if (c.metric !== undefined && !catalogHas(catalog, c.metric)) push(`${path}/metric`, catalog.unknown(c.metric));
      for (const g of grades) if (c.after[g] !== undefined) positive(c.after[g], `${path}/after/${g}`, push);
      increasing(c.after, durationMs, `${path}/after`, 'after must grow from blue to red (longer silence, higher grade)', push);
      return;
    case 'state':
      checkStates(c, path, catalog, push);
  }
}

function checkNumericInput(c: { metric?: string; expr?: string; type: string }, path: string, catalog: MetricCatalog, push: Push): void {
  if ((c.metric === undefined) === (c.expr === undefined)) {
    push(path, `a ${c.type} condition needs exactly one of metric or expr (got ${c.metric === undefined ? 'neither' : 'both'})`);
    return;
  }
  if (c.metric !== undefined) {
    checkNumericMetric(c.metric, `${path}/metric`, c.type, catalog, push);
    return;
  }
  const parsed = parseExpression(c.expr ?? '');
  if (!parsed.ok) {
    push(`${path}/expr`, parsed.error);
    return;
  }
  for (const m of parsed.metrics) checkNumericMetric(m, `${path}/expr`, c.type, catalog, push);
}

function checkNumericMetric(name: string, path: string, type: string, catalog: MetricCatalog, push: Push): void {
  const { specs, open } = catalog.find(name);
  if (specs.length === 0) {
    if (!open) push(path, catalog.unknown(name));
    return;
  }
  if (!specs.some((s) => s.type === 'numeric')) {
    push(path, `${name} is a state metric (${stateNames(specs).join(', ')}); a ${type} condition needs a numeric metric (use a state condition)`);
  }
}

function checkStates(c: Extract<LeafCondition, { type: 'state' }>, path: string, catalog: MetricCatalog, push: Push): void {
  const { specs, open } = catalog.find(c.metric);
  if (specs.length === 0) {
    if (!open) push(`${path}/metric`, catalog.unknown(c.metric));
    return;
  }
  const states = stateNames(specs);
  if (states.length === 0) {
    const units = specs.map((s) => (s.type === 'numeric' ? s.unit : '')).join(', ');
    push(`${path}/metric`, `${c.metric} is numeric (${units}); a state condition needs a state metric (use a threshold condition)`);
    return;
  }
  for (const g of grades) {
    (c.states[g] ?? []).forEach((s, i) => {
      if (!states.includes(s)) push(`${path}/states/${g}/${i}`, `"${s}" is not a state ${c.metric} can take (${states.join(', ')})`);
    });
  }
}

function stateNames(specs: ReturnType<MetricCatalog['find']>['specs']): string[] {
  return [...new Set(specs.flatMap((s) => (s.type === 'state' ? [...s.states] : [])))];
}

function catalogHas(catalog: MetricCatalog, name: string): boolean {
  const { specs, open } = catalog.find(name);
  return specs.length > 0 || open;
}

type PerGrade<T> = Partial<Record<Grade, T>>;

/** Thresholds: each defined grade at or past the one below it, in the condition's direction. */
function ordered(values: PerGrade<number>, up: boolean, path: string, why: string, push: Push): void {
  let prev: { g: Grade; v: number } | undefined;
  for (const g of grades) {
    const v = values[g];
    if (v === undefined) continue;
    if (prev && (up ? v < prev.v : v > prev.v)) push(`${path}/${g}`, `${g} ${v} is ${up ? 'below' : 'above'} ${prev.g} ${prev.v}: ${why}`);
    prev = { g, v };
  }
}

/** Strictly increasing with grade (durations, device counts): an equal step would hide the lower grade. */
function increasing<T>(values: PerGrade<T>, num: (v: T) => number, path: string, why: string, push: Push): void {
  let prev: { g: Grade; v: T; n: number } | undefined;
  for (const g of grades) {
    const v = values[g];
    if (v === undefined) continue;
    const n = num(v);
    if (prev && n <= prev.n) push(`${path}/${g}`, `${g} ${String(v)} is not more than ${prev.g} ${String(prev.v)}: ${why}`);
    prev = { g, v, n };
  }
}

function durationMs(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    return Number.NaN; // reported by `positive` / `checkDurations` with its path
  }
}

function positive(text: string, path: string, push: Push): void {
  const ms = durationMs(text);
  if (Number.isNaN(ms)) push(path, `"${text}" is not a duration (a whole number with ms, s, m, h or d)`);
  else if (ms <= 0) push(path, 'must be longer than 0');
}

function checkDurations(rule: Rule, push: Push): void {
  const parses = (text: string, path: string) => {
    if (Number.isNaN(durationMs(text))) push(path, `"${text}" is not a duration (a whole number with ms, s, m, h or d)`);
  };
  parses(rule.for, '/for');
  parses(rule.clear.clearFor, '/clear/clearFor');
  for (const g of grades) {
    const s = rule.grades[g];
    if (s?.for !== undefined) parses(s.for, `/grades/${g}/for`);
    const ack = s?.actions?.acknowledge;
    if (typeof ack === 'object') {
      if (ack.deadline !== undefined) positive(ack.deadline, `/grades/${g}/actions/acknowledge/deadline`, push);
      if (ack.remindEvery !== undefined) positive(ack.remindEvery, `/grades/${g}/actions/acknowledge/remindEvery`, push);
    }
  }
}

function checkNotifiers(rule: Rule, notifiers: readonly string[] | undefined, push: Push): void {
  if (!notifiers) return;
  const builtin: readonly string[] = builtinNotifiers;
  for (const g of grades) {
    (rule.grades[g]?.actions?.notify ?? []).forEach((n, i) => {
      if (builtin.includes(n) || notifiers.includes(n)) return;
      push(`/grades/${g}/actions/notify/${i}`, `no notifier "${n}" (configured: ${notifiers.join(', ') || 'none'}; built in: ${builtinNotifiers.join(', ')})`);
    });
  }
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

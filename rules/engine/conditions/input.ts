import { parseExpression, type ExprFn } from '../expression.js';
import type { ThresholdCondition } from '../../schema.js';

/**
 * The number a threshold or rate condition grades: one metric's latest value, or an `expr`
 * over the device's latest values (no value until every metric it reads has reported).
 */
export interface NumericInput<V> {
  readonly metrics: readonly string[];
  /** The metric for transitions; null for an expression. */
  readonly metric: string | null;
  /** What a reason calls the number: the metric name, or the expression text. */
  readonly label: string;
  init(): V;
  update(vals: V, metricIndex: number, value: number): V;
  value(vals: V): number | null;
  restore(json: unknown): V | undefined;
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function metricInput(metric: string): NumericInput<number | null> {
  return {
    metrics: [metric],
    metric,
    label: metric,
    init: () => null,
    update: (_vals, _i, value) => value,
    value: (vals) => vals,
    restore: (json) => (json === null || isNum(json) ? json : undefined),
  };
}

function exprInput(text: string, fn: ExprFn, metrics: string[]): NumericInput<Array<number | null>> {
  return {
    metrics,
    metric: null,
    label: text,
    init: () => metrics.map(() => null),
    update(vals, i, value) {
      vals[i] = value;
      return vals;
    },
    value(vals) {
      for (const v of vals) if (v === null) return null;
      return fn(vals as number[]);
    },
    restore: (json) =>
      Array.isArray(json) && json.length === metrics.length && json.every((v) => v === null || isNum(v)) ? (json as Array<number | null>) : undefined,
  };
}

export function compileInput(c: Pick<ThresholdCondition, 'metric' | 'expr'>): NumericInput<unknown> {
  if (c.expr !== undefined) {
    const parsed = parseExpression(c.expr);
    if (!parsed.ok) throw new Error(`expr: ${parsed.error}`);
    return exprInput(c.expr, parsed.fn, parsed.metrics) as NumericInput<unknown>;
  }
  if (c.metric === undefined) throw new Error('a numeric condition needs `metric` or `expr`');
  return metricInput(c.metric) as NumericInput<unknown>;
}

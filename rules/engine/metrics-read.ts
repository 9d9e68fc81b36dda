import type { Rule } from '../schema.js';
import { compileRule } from './compile.js';

/**
 * The metrics the rules read, or null when one reads every metric (no_data without a metric).
 * Readings of other metrics would touch no state: leaving them out changes no transition (a
 * timer fires at its due instant whichever later reading runs it, or at the end).
 */
export function metricsReadBy(rules: readonly Rule[]): string[] | null {
  const out = new Set<string>();
  for (const rule of rules) {
    if (rule.enabled === false) continue;
    let cond;
    try {
      cond = compileRule(rule, 0, '').cond;
    } catch {
      continue; // the engine disables it: it reads nothing
    }
    if (cond.anyMetric) return null;
    for (const m of cond.metrics) out.add(m);
  }
  return [...out];
}

import type { ThresholdCondition } from '../../schema.js';
import { boundText, fmtNumber, gradeNumber, perLevel } from './grading.js';
import { compileInput } from './input.js';
import type { CompiledCondition } from './types.js';

/** threshold: grades the latest value (or expression) against per-grade thresholds with hysteresis. */
export function compileThreshold(c: ThresholdCondition, hysteresis: number): CompiledCondition {
  const input = compileInput(c);
  const thresholds = perLevel(c.thresholds, (n) => n);
  const above = (c.direction ?? 'above') === 'above';
  return {
    metrics: input.metrics,
    anyMetric: false,
    timed: false,
    watches: false,
    init: () => input.init(),
    apply: (mem, i, _t, value) => (value === null ? mem : input.update(mem, i, value)),
    seen: (mem) => mem,
    levels(mem, _t, out) {
      const v = input.value(mem);
      if (v === null) {
        out.raise = 0;
        out.hold = 0;
      } else gradeNumber(v, thresholds, above, hysteresis, out);
    },
    nextChange: () => Infinity,
    describe(mem, _t, level, down) {
      const v = input.value(mem);
      if (v === null) return { metric: input.metric, value: null, state: null, text: `${input.label} has no value` };
      return { metric: input.metric, value: v, state: null, text: `${input.label} ${fmtNumber(v)}${boundText(thresholds, level, down, above, hysteresis)}` };
    },
    restore: (json) => input.restore(json),
  };
}

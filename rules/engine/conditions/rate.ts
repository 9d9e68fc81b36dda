import { formatDuration, parseDuration } from '../../duration.js';
import type { RateCondition } from '../../schema.js';
import { boundText, fmtNumber, gradeNumber, perLevel } from './grading.js';
import { compileInput } from './input.js';
import type { CompiledCondition } from './types.js';

/** Memory: the input's latest values and a window of (time ms, value) pairs, oldest first, flat. */
interface RateMem {
  v: unknown;
  r: number[];
}

/** At most this many samples per window: beyond it the oldest drop (the window gets shorter). */
const maxSamples = 1024;

/**
 * rate: delta = newest − oldest value among the samples within `window` of the newest reading
 * (rise: delta, fall: −delta), graded like a threshold, with the same hysteresis. The delta
 * changes only with readings, so a rate condition sets no timers of its own.
 */
export function compileRate(c: RateCondition, hysteresis: number): CompiledCondition<RateMem> {
  const input = compileInput(c);
  const thresholds = perLevel(c.thresholds, (n) => n);
  const windowMs = parseDuration(c.window);
  const rise = (c.direction ?? 'rise') === 'rise';
  const delta = (r: number[]): number | null => {
    const n = r.length;
    if (n === 0) return null;
    const d = (r[n - 1] as number) - (r[1] as number);
    return rise ? d : -d;
  };
  return {
    metrics: input.metrics,
    anyMetric: false,
    timed: false,
    watches: false,
    init: () => ({ v: input.init(), r: [] }),
    apply(mem, i, t, value) {
      if (value === null) return mem;
      mem.v = input.update(mem.v, i, value);
      const v = input.value(mem.v);
      if (v === null) return mem;
      const r = mem.r;
      r.push(t, v);
      let drop = 0;
      while (drop < r.length - 2 && (r[drop] as number) < t - windowMs) drop += 2;
      if (r.length - drop > 2 * maxSamples) drop = r.length - 2 * maxSamples;
      if (drop > 0) r.splice(0, drop);
      return mem;
    },
    seen: (mem) => mem,
    levels(mem, _t, out) {
      const d = delta(mem.r);
      if (d === null) {
        out.raise = 0;
        out.hold = 0;
      } else gradeNumber(d, thresholds, true, hysteresis, out);
    },
    nextChange: () => Infinity,
    describe(mem, _t, level, down) {
      const d = delta(mem.r) ?? 0;
      const n = mem.r.length;
      const latest = n > 0 ? (mem.r[n - 1] as number) : null;
      const verb = rise ? 'rose' : 'fell';
      return {
        metric: input.metric,
        value: latest,
        state: null,
        text: `${input.label} ${verb} ${fmtNumber(d)} within ${formatDuration(windowMs)}${boundText(thresholds, level, down, true, hysteresis)}`,
      };
    },
    restore(json) {
      if (typeof json !== 'object' || json === null) return undefined;
      const o = json as Record<string, unknown>;
      const v = input.restore(o.v);
      const r = o.r;
      if (v === undefined || !Array.isArray(r) || r.length % 2 !== 0 || !r.every((x) => typeof x === 'number')) return undefined;
      return { v, r: r as number[] };
    },
  };
}

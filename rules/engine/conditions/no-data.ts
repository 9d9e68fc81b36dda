import { formatDuration, parseDuration } from '../../duration.js';
import type { NoDataCondition } from '../../schema.js';
import { perLevel } from './grading.js';
import type { CompiledCondition } from './types.js';

/**
 * no_data: silence = t − the last reading's time (of `metric`, or of any metric); raise = hold
 * = highest grade whose `after` the silence has reached. Time alone changes it, so the engine
 * sets a timer at the next `after` instant; a reading brings the silence back to 0.
 * Memory: the last time seen (ms), or null before the first reading or `watch`.
 */
export function compileNoData(c: NoDataCondition): CompiledCondition<number | null> {
  const after = perLevel(c.after, parseDuration);
  const what = c.metric === undefined ? 'no reading' : `no ${c.metric} reading`;
  const levelAt = (mem: number | null, t: number): number => {
    if (mem === null) return 0;
    const silence = t - mem;
    for (let g = 4; g >= 1; g--) if (silence >= (after[g] as number)) return g; // NaN compares false
    return 0;
  };
  const seen = (mem: number | null, t: number): number => (mem === null || t > mem ? t : mem);
  return {
    metrics: c.metric === undefined ? [] : [c.metric],
    anyMetric: c.metric === undefined,
    timed: true,
    watches: true,
    init: () => null,
    apply: (mem, _i, t) => seen(mem, t),
    seen,
    levels(mem, t, out) {
      out.raise = out.hold = levelAt(mem, t);
    },
    nextChange(mem, t) {
      if (mem === null) return Infinity;
      let next = Infinity;
      for (let g = 1; g <= 4; g++) {
        const due = mem + (after[g] as number);
        if (due > t && due < next) next = due;
      }
      return next;
    },
    describe(mem, t, level, down) {
      if (down || level === 0) return { metric: null, value: null, state: null, text: `${c.metric ?? 'device'} reporting again` };
      const silence = mem === null ? 0 : t - mem;
      return { metric: null, value: null, state: null, text: `${what} for ${formatDuration(silence)}` };
    },
    restore: (json) => (json === null || (typeof json === 'number' && Number.isFinite(json)) ? json : undefined),
  };
}

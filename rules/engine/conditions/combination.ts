import type { CombinationCondition } from '../../schema.js';
import type { CompiledCondition, Description, Levels } from './types.js';

interface Child {
  cond: CompiledCondition;
  /** In `all`, a one-grade state leaf gates the others: holds → 4, else 0. */
  gate: boolean;
  /** Rule-level metric index → this child's metric index, or -1 when the reading is not its concern. */
  index: Int32Array;
}

/**
 * all / any over leaves of one device: all takes the lowest level, any the highest, separately
 * for raise and hold. Each child keeps its own memory (latest value, latest state, last seen),
 * so a reading of one metric is combined with the latest of the others. Memory: the children's
 * memories, in order.
 */
export function compileCombination(c: CombinationCondition, children: Array<{ cond: CompiledCondition; gate: boolean }>): CompiledCondition<unknown[]> {
  const all = c.type === 'all';
  const metrics: string[] = [];
  for (const ch of children) for (const m of ch.cond.metrics) if (!metrics.includes(m)) metrics.push(m);
  const anyMetric = children.some((ch) => ch.cond.anyMetric);
  const kids: Child[] = children.map(({ cond, gate }) => {
    const index = new Int32Array(metrics.length + 1).fill(-1);
    metrics.forEach((m, i) => {
      const own = cond.metrics.indexOf(m);
      index[i] = own >= 0 ? own : cond.anyMetric ? cond.metrics.length : -1;
    });
    index[metrics.length] = cond.anyMetric ? cond.metrics.length : -1;
    return { cond, gate: gate && all, index };
  });
  const scratch: Levels = { raise: 0, hold: 0 };
  const childLevels = (k: Child, mem: unknown, t: number): void => {
    k.cond.levels(mem, t, scratch);
    if (k.gate) scratch.raise = scratch.hold = scratch.raise > 0 ? 4 : 0;
  };
  /** The child that decides the combined level (lowest for all, highest for any; non-gates first). */
  const deciding = (mems: unknown[], t: number, down: boolean): number => {
    let best = -1;
    let bestLevel = 0;
    kids.forEach((k, i) => {
      childLevels(k, mems[i], t);
      const l = down ? scratch.hold : scratch.raise;
      const better = best < 0 || (all ? l < bestLevel || (l === bestLevel && !k.gate) : l > bestLevel);
      if (better) {
        best = i;
        bestLevel = l;
      }
    });
    return best;
  };
  return {
    metrics,
    anyMetric,
    timed: children.some((ch) => ch.cond.timed),
    watches: children.some((ch) => ch.cond.watches),
    init: () => kids.map((k) => k.cond.init()),
    apply(mems, i, t, value, state) {
      for (let j = 0; j < kids.length; j++) {
        const k = kids[j] as Child;
        const own = k.index[i] as number;
        if (own >= 0) mems[j] = k.cond.apply(mems[j], own, t, value, state);
      }
      return mems;
    },
    seen(mems, t) {
      kids.forEach((k, j) => (mems[j] = k.cond.seen(mems[j], t)));
      return mems;
    },
    levels(mems, t, out) {
      let raise = all ? 4 : 0;
      let hold = raise;
      for (let j = 0; j < kids.length; j++) {
        childLevels(kids[j] as Child, mems[j], t);
        if (all) {
          if (scratch.raise < raise) raise = scratch.raise;
          if (scratch.hold < hold) hold = scratch.hold;
        } else {
          if (scratch.raise > raise) raise = scratch.raise;
          if (scratch.hold > hold) hold = scratch.hold;
        }
      }
      out.raise = raise;
      out.hold = hold;
    },
    nextChange(mems, t) {
      let next = Infinity;
      kids.forEach((k, j) => {
        if (k.cond.timed) next = Math.min(next, k.cond.nextChange(mems[j], t));
      });
      return next;
    },
    describe(mems, t, level, down) {
      const d = deciding(mems, t, down);
      const main = (kids[d] as Child).cond.describe(mems[d], t, level, down);
      if (down || !all) return main;
      // Going up in `all`: every child holds; name them all, the deciding one with the grade.
      const texts = kids.map((k, j): string => {
        if (j === d) return main.text;
        childLevels(k, mems[j], t);
        return k.cond.describe(mems[j], t, k.gate ? 0 : scratch.raise, false).text;
      });
      const out: Description = { ...main, text: texts.join(' and ') };
      return out;
    },
    restore(json) {
      if (!Array.isArray(json) || json.length !== kids.length) return undefined;
      const out: unknown[] = [];
      for (let j = 0; j < kids.length; j++) {
        const m = (kids[j] as Child).cond.restore(json[j]);
        if (m === undefined) return undefined;
        out.push(m);
      }
      return out;
    },
  };
}

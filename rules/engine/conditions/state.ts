import { grades, type StateCondition } from '../../schema.js';
import type { CompiledCondition } from './types.js';

/** state: raise = hold = highest grade whose list holds the metric's latest state. Memory: that state. */
export function compileState(c: StateCondition): CompiledCondition<string | null> {
  const levelOf = new Map<string, number>();
  grades.forEach((g, i) => {
    for (const s of c.states[g] ?? []) levelOf.set(s, i + 1);
  });
  return {
    metrics: [c.metric],
    anyMetric: false,
    timed: false,
    watches: false,
    init: () => null,
    apply: (mem, _i, _t, _v, state) => (state === null ? mem : state),
    seen: (mem) => mem,
    levels(mem, _t, out) {
      out.raise = out.hold = mem === null ? 0 : (levelOf.get(mem) ?? 0);
    },
    nextChange: () => Infinity,
    describe(mem, _t, level, down) {
      const grade = !down && level > 0 ? ` (${grades[level - 1]})` : '';
      return { metric: c.metric, value: null, state: mem, text: `${c.metric} is ${mem ?? 'unknown'}${grade}` };
    },
    restore: (json) => (json === null || typeof json === 'string' ? json : undefined),
  };
}

/** A state leaf listing exactly one grade: inside `all`, it gates the others (holds → 4, else 0). */
export function isGate(c: StateCondition): boolean {
  return grades.filter((g) => c.states[g] !== undefined).length === 1;
}

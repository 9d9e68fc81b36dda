/**
 * The grade state machine of one (rule, subject). `c` is the current grade (0 = none).
 *
 * - Raise / upgrade: for each grade g > c, `since[g]` is the start of the continuous run in
 *   which raise ≥ g (reset when raise < g). The grade becomes the highest g whose run has lasted
 *   for(g) (the grade's `for`, else the rule's). A run still short of for(g) sets a timer at
 *   since[g] + for(g); when it fires, the change takes effect at that instant.
 * - Down / clear: while hold < c, `down` is the start of that run (reset when hold ≥ c); once it
 *   has lasted clearFor, c becomes hold (a downgrade, or a clear at 0).
 * - Outside the rule's schedule no run toward a higher grade is kept (they restart when the
 *   schedule is active again); coming down is always allowed.
 *
 * A change happens at most once per step: while hold < c no run upward can exist, as raise ≤ hold.
 */
export interface MachineState {
  c: number;
  /** since[g] for g = 1..4, NaN when no run; null until first needed (most states never raise). */
  since: number[] | null;
  /** Start of the run below the current grade, NaN when none. */
  down: number;
}

export interface Timing {
  /** for(g) in ms, index = level 1..4. */
  forMs: readonly number[];
  clearForMs: number;
}

/** Applies levels at time t. Returns the new grade when it changed, else -1. */
export function step(s: MachineState, t: number, raise: number, hold: number, active: boolean, timing: Timing): number {
  const c = s.c;
  if (hold < c) {
    if (s.down !== s.down) s.down = t;
    if (t - s.down >= timing.clearForMs) {
      s.c = hold;
      s.down = NaN;
      if (s.since) s.since.fill(NaN);
      return hold;
    }
    return -1;
  }
  s.down = NaN;
  if (raise <= c || !active) {
    if (s.since) resetRuns(s.since, active ? raise : 0, c);
    return -1;
  }
  const since = (s.since ??= [NaN, NaN, NaN, NaN, NaN]);
  let best = 0;
  for (let g = c + 1; g <= 4; g++) {
    if (raise >= g) {
      let start = since[g] as number;
      if (start !== start) start = since[g] = t;
      if (t - start >= (timing.forMs[g] as number)) best = g;
    } else since[g] = NaN;
  }
  if (best === 0) return -1;
  s.c = best;
  for (let g = 1; g <= best; g++) since[g] = NaN;
  return best;
}

/** Keeps only the runs still alive: g > c with raise ≥ g. */
function resetRuns(since: number[], raise: number, c: number): void {
  for (let g = 1; g <= 4; g++) if (g <= c || g > raise) since[g] = NaN;
}

/** The next instant a pending `for` or `clearFor` runs out, or Infinity. */
export function machineDue(s: MachineState, timing: Timing): number {
  let due = Infinity;
  if (s.down === s.down) due = s.down + timing.clearForMs;
  const since = s.since;
  if (since) {
    for (let g = s.c + 1; g <= 4; g++) {
      const start = since[g] as number;
      if (start === start) {
        const at = start + (timing.forMs[g] as number);
        if (at < due) due = at;
      }
    }
  }
  return due;
}

/** Whether the machine holds anything beyond "no warning, nothing pending". */
export function machineIdle(s: MachineState): boolean {
  return s.c === 0 && s.down !== s.down && (s.since === null || s.since.every((x) => x !== x));
}

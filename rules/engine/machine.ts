/**
 * The grade state machine of one (rule, subject). `c` is the current grade (0 = none).
 *
 * - Raise / upgrade: for each grade g > c, `since[g]` is the start of the continuous run in
 *   which raise ≥ g (reset when raise < g). The grade becomes the highest g whose run has lasted
 *   for(g) (the grade's `for`, else the rule's). A run still short of for(g) sets a timer at
 *   since[g] + for(g); when it fires, the change takes effect at that instant.
 * - Down / clear, one grade at a time: for each grade g ≤ c, `down[g]` is the start of the
 *   continuous run in which hold < g (reset when hold ≥ g). The grade comes down to g − 1 for
 *   the lowest g whose run has lasted clearFor: the new grade is the highest hold level seen in
 *   the last clearFor. Water receding from red steps down through orange, yellow and blue,
 *   each `clearFor` after the value left that band, rather than jumping from red to clear.
 * - Outside the rule's schedule no run toward a higher grade is kept (they restart when the
 *   schedule is active again); coming down is always allowed.
 *
 * A change happens at most once per step: while hold < c no run upward can exist, as raise ≤ hold.
 */
export interface MachineState {
  c: number;
  /** since[g] for g = 1..4, NaN when no run; null until first needed (most states never raise). */
  since: number[] | null;
  /** down[g] for g = 1..4: start of the run with hold < g, NaN when none; null while never below. */
  down: number[] | null;
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
    const down = (s.down ??= [NaN, NaN, NaN, NaN, NaN]);
    let next = c;
    for (let g = 1; g <= 4; g++) {
      if (g <= hold || g > c) {
        down[g] = NaN;
        continue;
      }
      let start = down[g] as number;
      if (start !== start) start = down[g] = t;
      // Runs for higher grades started no later, so the lowest expired run sets the new grade.
      if (next === c && t - start >= timing.clearForMs) next = g - 1;
    }
    if (next === c) return -1;
    s.c = next;
    for (let g = next + 1; g <= 4; g++) down[g] = NaN;
    if (s.since) clearRuns(s.since);
    return next;
  }
  if (s.down) clearRuns(s.down);
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

/** A plain loop: Array.prototype.fill costs more than the rest of a step (it runs on every reading). */
function clearRuns(runs: number[]): void {
  for (let g = 1; g <= 4; g++) runs[g] = NaN;
}

/** Whether any run (g = 1..4) is under way. */
function anyRun(runs: number[] | null): boolean {
  if (runs === null) return false;
  for (let g = 1; g <= 4; g++) if (runs[g] === runs[g]) return true;
  return false;
}

/** Keeps only the runs still alive: g > c with raise ≥ g. */
function resetRuns(since: number[], raise: number, c: number): void {
  for (let g = 1; g <= 4; g++) if (g <= c || g > raise) since[g] = NaN;
}

/** The next instant a pending `for` or `clearFor` runs out, or Infinity. */
export function machineDue(s: MachineState, timing: Timing): number {
  let due = Infinity;
  const down = s.down;
  if (down) {
    for (let g = 1; g <= s.c; g++) {
      const start = down[g] as number;
      if (start === start && start + timing.clearForMs < due) due = start + timing.clearForMs;
    }
  }
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
  return s.c === 0 && !anyRun(s.down) && !anyRun(s.since);
}

/** Whether a run toward a higher or a lower grade is under way: only then is a `for` or `clearFor` pending. */
export function machinePending(s: MachineState): boolean {
  return anyRun(s.since) || anyRun(s.down);
}

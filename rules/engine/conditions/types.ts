/**
 * A compiled condition. It is stateless: what it remembers between readings (latest values,
 * a window of values, the last time a device spoke) lives in a JSON-serialisable memory `M`
 * kept in the (rule, subject) state, so states export and import exactly.
 */

/** Raise and hold levels (0..4) written by `levels`; one object reused, to avoid allocation. */
export interface Levels {
  raise: number;
  hold: number;
}

/** What a transition says about the condition: which value, and a sentence for an operator. */
export interface Description {
  metric: string | null;
  value: number | null;
  state: string | null;
  text: string;
}

export interface CompiledCondition<M = unknown> {
  /**
   * The metrics whose readings concern it, in a fixed order: a reading's metric index is its
   * position here, or `metrics.length` ("another metric") when `anyMetric`.
   */
  readonly metrics: readonly string[];
  /** Every reading of the device concerns it (no_data without a metric). */
  readonly anyMetric: boolean;
  /** Levels can change with time alone (no_data): the engine asks `nextChange` and sets a timer. */
  readonly timed: boolean;
  /** Contains a no_data leaf: `watch` seeds it. */
  readonly watches: boolean;
  init(): M;
  /** Applies one reading (metric index as above; value null for state readings). Returns the new memory. */
  apply(mem: M, metricIndex: number, tMs: number, value: number | null, state: string | null): M;
  /** A device was last seen at `tMs` (watch): only no_data leaves care. */
  seen(mem: M, tMs: number): M;
  levels(mem: M, tMs: number, out: Levels): void;
  /** The next instant after `tMs` at which `levels` may change without a reading, or Infinity. */
  nextChange(mem: M, tMs: number): number;
  /** Describes the condition at `tMs` for a change to `level` (down: a grade ended). */
  describe(mem: M, tMs: number, level: number, down: boolean): Description;
  /** Checks a memory read back from storage; undefined when it does not fit. */
  restore(json: unknown): M | undefined;
}

/** Per-grade numbers indexed by level 1..4 (index 0 unused), NaN where the rule gives none. */
export type PerLevel = readonly number[];

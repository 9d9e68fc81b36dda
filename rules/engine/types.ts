import type { GradeLevel, Rule } from '../schema.js';

/**
 * The engine's contract (docs/rules.md). The engine is pure and synchronous: it never reads a
 * clock or the database. Callers pass time in (`nowMs`), so live evaluation, `rules test` and
 * backtests run the same code and give the same warnings for the same readings.
 */

/** One stored reading, as the ingest path writes it (gateway/storage/readings-writer.ts). */
export interface EngineReading {
  deviceId: string;
  metric: string;
  /** Device time, epoch microseconds. */
  timeUs: number;
  value: number | null;
  state: string | null;
  /** The device's own sequence number, when it sends one. */
  seq: number | null;
}

/** What the engine needs to know about a device: scope matching and block grouping. */
export interface DeviceContext {
  id: string;
  kind: string;
  /** 17-digit grid-block code. */
  blockCode: string;
  tags: readonly string[];
  /** Drill / simulated data: warnings raised from it are exercises (CAP status Exercise). */
  exercise: boolean;
}

export type DeviceLookup = (deviceId: string) => DeviceContext | undefined;

/** A rule and the version the engine runs. */
export interface VersionedRule {
  rule: Rule;
  version: number;
}

/**
 * One change of a warning's grade. `from` 0 is a raise, `to` 0 a clear. The fingerprint names the
 * warning: `{ruleId}/{deviceId}`, or `{ruleId}/block:{blockPrefix}` for k-of-n rules.
 */
export interface Transition {
  fingerprint: string;
  ruleId: string;
  ruleVersion: number;
  subject: { type: 'device' | 'block'; id: string };
  /** The device whose reading (or silence) caused it; for k-of-n, the last device that counted. */
  deviceId: string | null;
  kind: string | null;
  blockCode: string;
  from: GradeLevel;
  to: GradeLevel;
  /** When it took effect, epoch ms: the reading's time, or the instant a `for` / `clearFor` / no-data timer ran out. */
  atMs: number;
  /** The value (or state) that triggered it, and of which metric (null for expressions and no-data). */
  metric: string | null;
  value: number | null;
  state: string | null;
  /** A sentence an operator can read: "depth_cm 27 ≥ 25 (yellow) for 60s". */
  reason: string;
  /** k-of-n: the devices that held within the window. */
  devices?: string[];
  exercise: boolean;
}

/** Something ops should hear about that is not a warning transition. */
export interface EngineNotice {
  type: 'rule_disabled' | 'late_reading';
  ruleId: string | null;
  deviceId: string | null;
  atMs: number;
  message: string;
}

export interface StepResult {
  transitions: Transition[];
  notices: EngineNotice[];
  /** (rule, reading) pairs evaluated, for metrics and the benchmark. */
  evaluations: number;
}

/**
 * Live state of one (rule, subject) state machine, as stored in `rule_states`. `state` is the
 * engine's own JSON; `ruleHash` says which rule content it was built for, so a hot apply keeps
 * states whose rule did not change and drops the others. `partition` is the block code the
 * state belongs to: states can later be partitioned by block across processes.
 */
export interface PersistedState {
  ruleId: string;
  ruleHash: string;
  subjectKey: string;
  partition: string;
  state: unknown;
}

export interface EngineOptions {
  lookup: DeviceLookup;
  /** Readings older than now minus this are stored but not evaluated (a `late_reading` notice). */
  maxLatenessMs: number;
}

export interface RuleEngine {
  /**
   * Replaces the running rule set (hot apply). States of rules whose content hash is unchanged
   * are kept; the others start fresh. Returns which rule ids kept state and which were reset.
   */
  setRules(rules: readonly VersionedRule[]): { kept: string[]; reset: string[] };
  /**
   * Applies readings in order. Before each reading, timers due at or before its time fire (at
   * their due time). A reading at or before the (time, seq) a state last applied is ignored, so
   * replays after a crash change nothing.
   */
  process(readings: readonly EngineReading[], nowMs: number): StepResult;
  /** Fires every timer (for, clearFor, no-data, k-of-n window expiry) due at or before nowMs. */
  advanceTo(nowMs: number): StepResult;
  /** Start a no-data watch for devices that may never report (seeded from the registry at start). */
  watch(deviceId: string, lastSeenMs: number): void;
  /** States changed since the last call (all of them with `all`), and clears the dirty marks. */
  exportStates(opts?: { all?: boolean }): PersistedState[];
  /** Restores states saved by `exportStates` (a restart); states for changed rules are dropped. */
  importStates(states: readonly PersistedState[]): void;
  /** Current grade of every state with a warning up, for the API and for reconciliation. */
  activeGrades(): Array<{ fingerprint: string; ruleId: string; grade: GradeLevel }>;
  stats(): { rules: number; disabled: string[]; states: number; evaluations: number };
}

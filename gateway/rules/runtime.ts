import type { Clock, ClockTimer } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Config } from '../config/schema.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { EventFeed, NewEvent } from '../events/types.js';
import type { IngestSink } from '../ingest/drain.js';
import type { ReadingRow } from '../ingest/record.js';
import type { GatewayMetrics } from '../metrics/registry.js';
import type { Db } from '../storage/db.js';
import type { WarningService } from '../warnings/types.js';
import type { EngineNotice, RuleEngine, StepResult, Transition, VersionedRule } from '../../rules/engine/types.js';
import { createEngine } from '../../rules/engine/index.js';
import { gradeOf } from '../../rules/schema.js';
import type { RuleStore } from './store.js';
import { loadStates, saveStates } from './states.js';
import { PendingStates } from './pending-states.js';
import { LateNotices } from './late-notices.js';

export interface RulesRuntimeOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics?: GatewayMetrics;
  registry: Pick<DeviceRegistry, 'get' | 'all'>;
  feed: EventFeed;
  /** With `tick`, it is called on every rules tick (the warning service's storm clears). */
  warnings: WarningService & { tick?(nowMs: number): Promise<void> };
  store: RuleStore;
  config: Pick<Config, 'rules'>;
  /** States per transaction in a full flush (tests use small ones). */
  stateChunk?: number;
  /** The set seeded on first start when `rules.seedDefaults` (`{ rules: [...] }`); the service passes the defaults. */
  defaults?: () => unknown;
}

export interface RulesRuntime {
  /** Seeds the defaults (first start), loads the active set and the saved states, starts ticking. */
  start(): Promise<void>;
  /** Stops ticking and commits what is pending. */
  stop(): Promise<void>;
  /**
   * Live path: readings evaluated at once, as their spool record is written; what they cause is
   * committed within `rules.flushMs`, and never before `durable` (the spool's fsync) settled.
   */
  onAccepted(rows: readonly ReadingRow[], durable?: Promise<boolean>): void;
  /** Replay path: wraps the drain's database sink; a write resolves once the rule states and warnings from its rows are committed too. */
  sink(inner: IngestSink): IngestSink;
  /** Hot apply after an activation change: the new active set runs, live state of unchanged rules is kept. */
  apply(): Promise<void>;
  /** Resolves once everything evaluated so far is committed (tests, shutdown). */
  flushed(): Promise<void>;
  readonly engine: RuleEngine;
  stats(): RuntimeStats;
}

export interface RuntimeStats {
  rules: number;
  disabled: string[];
  states: number;
  evaluations: number;
  pendingTransitions: number;
  flushes: number;
  flushFailures: number;
  lastFlushAtMs: number | null;
}

/** States per transaction in a full flush (one upsert statement). */
const STATE_CHUNK = 500;

export function createRulesRuntime(o: RulesRuntimeOptions): RulesRuntime {
  return new Runtime(o);
}

interface Waiter {
  gen: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * The live rules: one engine fed by the ingest pipeline (live) and the drain (replay), whose
 * transitions and the states that produced them commit in one transaction. One flush is in
 * flight at a time; what is evaluated meanwhile goes in the next. Work is counted in
 * generations: a caller waiting for generation g waits for a committed flush that took it.
 */
class Runtime implements RulesRuntime {
  readonly engine: RuleEngine;
  private readonly log: Logger;
  private rules = new Map<string, VersionedRule>();
  /** Rules replaced or removed by a hot apply, for transitions still pending from them. */
  private retired = new Map<string, VersionedRule>();
  private readonly late = new LateNotices();
  /** Spool writes of readings evaluated live and not yet behind a commit. */
  private durables: Array<Promise<boolean>> = [];
  private pendingTransitions: Transition[] = [];
  private pendingNotices: EngineNotice[] = [];
  private pendingEvents: NewEvent[] = [];
  private pendingDeletes = new Set<string>();
  /** States exported from the engine and not yet written (gateway/rules/pending-states.ts). */
  private readonly pendingStates = new PendingStates();
  private collected = 0;
  private committed = 0;
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: ClockTimer | undefined;
  private flushTimerUrgent = false;
  private tickTimer: ClockTimer | undefined;
  private failures = 0;
  private counts = { flushes: 0, flushFailures: 0, lastFlushAtMs: null as number | null };
  private running = false;
  private stopped = false;
  private ready: { promise: Promise<void>; resolve: () => void };
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly o: RulesRuntimeOptions) {
    this.log = componentLogger(o.logger, 'rules');
    this.engine = createEngine({ lookup: (id) => o.registry.get(id), maxLatenessMs: o.config.rules.maxLatenessMs });
    let resolve = () => {};
    const promise = new Promise<void>((r) => (resolve = r));
    this.ready = { promise, resolve };
  }

  async start(): Promise<void> {
    const { store, config, clock } = this.o;
    if (config.rules.seedDefaults && this.o.defaults) {
      const n = await store.seedIfEmpty(this.o.defaults());
      if (n > 0) this.log.info({ rules: n }, 'first start: default rule set activated (version 1 of each)');
    }
    const active = await store.activeRules();
    this.engine.setRules(active);
    this.rules = new Map(active.map((r) => [r.rule.id, r]));
    const states = await loadStates(this.o.db);
    this.engine.importStates(states);
    const now = clock.now();
    for (const d of this.o.registry.all()) this.engine.watch(d.id, d.lastSeen ?? now);
    // Imported states are in the database already; nothing from the load is dirty.
    this.engine.exportStates();
    this.running = true;
    this.ready.resolve();
    this.scheduleTick();
    const s = this.engine.stats();
    this.log.info({ rules: s.rules, states: s.states, disabled: s.disabled }, 'rules running');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    if (this.tickTimer) this.o.clock.clearTimeout(this.tickTimer);
    if (this.flushTimer) this.o.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushing;
    if (this.collected > this.committed) await this.flushed();
    const left = this.waiters.splice(0);
    for (const w of left) w.reject(new GatewayError('GW_ERR_NOT_READY', 'the rules runtime stopped before committing; the spool replays these readings at the next start'));
  }

  onAccepted(rows: readonly ReadingRow[], durable?: Promise<boolean>): void {
    // Before start (or after stop) the drain's replay path evaluates these instead.
    if (!this.running || rows.length === 0) return;
    if (durable) this.durables.push(durable);
    this.collect(this.engine.process(rows, this.o.clock.now()));
    this.scheduleFlush();
  }

  sink(inner: IngestSink): IngestSink {
    return {
      write: async (rows, dead) => {
        await inner.write(rows, dead);
        if (rows.length === 0) return;
        await this.ready.promise;
        if (this.stopped) throw new GatewayError('GW_ERR_NOT_READY', 'the rules runtime is stopped');
        this.collect(this.engine.process(rows, this.o.clock.now()));
        await this.flushed();
      },
    };
  }

  apply(): Promise<void> {
    const next = this.applying.then(() => this.applyNow());
    this.applying = next.catch(() => undefined);
    return next;
  }

  flushed(): Promise<void> {
    const gen = this.collected;
    if (this.committed >= gen) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ gen, resolve, reject }));
    if (!this.flushing) void this.runFlush(true);
    return p;
  }

  stats(): RuntimeStats {
    const s = this.engine.stats();
    return { ...s, pendingTransitions: this.pendingTransitions.length, ...this.counts };
  }

  private async applyNow(): Promise<void> {
    const active = await this.o.store.activeRules();
    const before = this.rules;
    const { kept, reset } = this.engine.setRules(active);
    this.rules = new Map(active.map((r) => [r.rule.id, r]));
    for (const [id, r] of before) if (this.rules.get(id)?.version !== r.version) this.retired.set(id, r);
    for (const id of reset) this.pendingDeletes.add(id);
    for (const id of before.keys()) {
      if (this.rules.has(id)) continue;
      this.pendingDeletes.add(id);
      this.pendingEvents.push({ type: 'rule.deactivated', subject: { type: 'rule', id }, data: { ruleId: id, previousVersion: before.get(id)?.version ?? null } });
    }
    for (const r of active) {
      const prev = before.get(r.rule.id)?.version ?? null;
      if (prev === r.version) continue;
      this.pendingEvents.push({ type: 'rule.activated', subject: { type: 'rule', id: r.rule.id }, data: { ruleId: r.rule.id, version: r.version, previousVersion: prev, stateKept: kept.includes(r.rule.id) } });
    }
    this.log.info({ rules: active.length, kept: kept.length, reset }, 'rule set applied');
    this.collected++;
    await this.flushed();
  }

  private collect(step: StepResult): void {
    const m = this.o.metrics;
    if (m) {
      m.ruleEvaluations.inc(step.evaluations);
      for (const t of step.transitions) m.ruleTransitions.inc({ to: gradeOf(t.to) ?? 'none' });
    }
    for (const t of step.transitions) this.pendingTransitions.push(t);
    for (const n of step.notices) {
      const kept = n.type === 'late_reading' ? this.late.admit(n, this.o.clock.now()) : n;
      if (kept) this.pendingNotices.push(kept);
    }
    this.collected++;
  }

  private scheduleTick(): void {
    if (this.stopped) return;
    this.tickTimer = this.o.clock.setTimeout(() => {
      if (this.stopped) return;
      const now = this.o.clock.now();
      try {
        this.collect(this.engine.advanceTo(now));
        this.scheduleFlush();
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'rule timers failed');
      }
      this.o.warnings.tick?.(now).catch((e: Error) => this.log.warn({ err: e.message }, 'warning service tick failed'));
      this.scheduleTick();
    }, this.o.config.rules.tickMs);
    this.tickTimer.unref?.();
  }

  /**
   * Transitions (and the states that made them) commit within `rules.flushMs`: that is the
   * PUBLISH → warning latency. States that only moved on (a new reading, nothing raised) wait
   * for the next full flush, `rules.statesFlushMs` later or when the drain waits for them: under
   * load, writing every device's state with every warning would put the warning behind them.
   */
  private scheduleFlush(delayMs?: number): void {
    if (this.flushing || this.stopped) return;
    const urgent = this.pendingTransitions.length + this.pendingNotices.length + this.pendingEvents.length + this.pendingDeletes.size > 0;
    if (this.flushTimer) {
      // A warning change does not wait behind the states' slower cadence.
      if (!urgent || this.flushTimerUrgent || delayMs !== undefined) return;
      this.o.clock.clearTimeout(this.flushTimer);
    }
    this.flushTimerUrgent = urgent;
    const delay = delayMs ?? (urgent ? this.o.config.rules.flushMs : this.o.config.rules.statesFlushMs);
    this.flushTimer = this.o.clock.setTimeout(() => {
      this.flushTimer = undefined;
      void this.runFlush(!urgent);
    }, delay);
  }

  private runFlush(full: boolean): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.flushTimer) {
      this.o.clock.clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    this.flushing = this.flushOnce(full).finally(() => {
      this.flushing = undefined;
      if (this.collected <= this.committed && this.pendingStates.size === 0) return;
      if (this.failures > 0) this.scheduleFlush(Math.min(5000, 50 * 2 ** Math.min(this.failures, 7)));
      else if (this.waiters.length > 0) void this.runFlush(true);
      else this.scheduleFlush();
    });
    return this.flushing;
  }

  private async flushOnce(full: boolean): Promise<void> {
    const gen = this.collected;
    const transitions = this.pendingTransitions;
    const notices = this.pendingNotices;
    const events = this.pendingEvents;
    const deletes = [...this.pendingDeletes];
    const durables = this.durables;
    this.durables = [];
    this.pendingTransitions = [];
    this.pendingNotices = [];
    this.pendingEvents = [];
    this.pendingDeletes.clear();
    this.pendingStates.add(this.engine.exportStates(), gen);
    // A full flush writes the oldest states in bounded chunks, so a warning change never waits
    // behind one long transaction; waiters loop until their generation is written.
    const taken = full ? this.pendingStates.takeOldest(this.o.stateChunk ?? STATE_CHUNK) : this.pendingStates.takeFor(transitions);
    const states = taken.map(([, e]) => e.state);
    const retired = this.retired;
    this.retired = new Map();
    const now = this.o.clock.now();
    try {
      if (transitions.length + notices.length + events.length + deletes.length + states.length > 0) {
        const ruleOf = (id: string) => this.rules.get(id) ?? retired.get(id);
        const timer = this.o.metrics?.rulesFlushSeconds.startTimer({ kind: transitions.length > 0 ? 'urgent' : 'full' });
        await this.o.feed.transaction(async (tx, emit) => {
          if (deletes.length > 0) await tx.query('DELETE FROM rule_states WHERE rule_id = ANY($1::text[])', [deletes]);
          await saveStates(tx, states, now);
          if (transitions.length > 0) await this.o.warnings.apply(tx, emit, transitions, ruleOf, now);
          for (const n of notices) await this.o.warnings.notice(tx, emit, n, now);
          for (const e of events) await emit(e);
          // Nothing commits ahead of the readings it rests on: the fsync ran alongside this work.
          if (durables.length > 0 && !(await Promise.all(durables)).every(Boolean)) {
            this.log.warn('readings evaluated live were refused by the spool (full); their devices were not acknowledged and will send them again');
          }
        });
        timer?.();
      } else {
        this.durables = durables.concat(this.durables); // nothing written yet that rests on them
      }
    } catch (e) {
      // Nothing committed: everything goes back, ahead of what came in meanwhile.
      this.pendingTransitions = transitions.concat(this.pendingTransitions);
      this.pendingNotices = notices.concat(this.pendingNotices);
      this.pendingEvents = events.concat(this.pendingEvents);
      for (const d of deletes) this.pendingDeletes.add(d);
      this.durables = durables.concat(this.durables);
      this.pendingStates.putBack(taken);
      for (const [id, r] of retired) if (!this.retired.has(id)) this.retired.set(id, r);
      this.failures++;
      this.counts.flushFailures++;
      if (this.failures === 1) this.log.warn({ err: (e as Error).message, transitions: transitions.length }, 'saving rule states and warnings failed; retrying');
      return;
    }
    if (this.failures > 0) this.log.info({ attempts: this.failures + 1 }, 'saving rule states and warnings recovered');
    this.failures = 0;
    // Transitions up to `gen` are in; states only up to just before the oldest left unwritten.
    this.committed = Math.max(this.committed, Math.min(gen, this.pendingStates.oldestGen() - 1));
    this.counts.flushes++;
    this.counts.lastFlushAtMs = now;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.gen <= this.committed) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

}

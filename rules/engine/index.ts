import { formatDuration } from '../duration.js';
import type { GradeLevel } from '../schema.js';
import { compileRule, type CompiledRule } from './compile.js';
import type { Levels } from './conditions/index.js';
import { ruleHash } from './hash.js';
import { blockLevel, blockReason, counted, nextAgeOut } from './kofn.js';
import { machineDue, machinePending, step } from './machine.js';
import { persisted, restoreBlock, restoreDevice } from './persist.js';
import { RuleIndex, sameContext, type DeviceEntry } from './profiles.js';
import { BlockState, DeviceState, Member, takeKey, type AnyState } from './subjects.js';
import { TimerHeap } from './timers.js';
import type { EngineNotice, EngineOptions, EngineReading, PersistedState, RuleEngine, StepResult, VersionedRule } from './types.js';

export { ruleHash } from './hash.js';
export { metricsReadBy } from './metrics-read.js';
export { parseExpression, type ParseResult } from './expression.js';
export type * from './types.js';

/**
 * The rule engine (docs/rules.md). Pure and synchronous: time comes in as arguments.
 *
 * - Times: a reading's event time is its device time (timeUs / 1000, floored to ms). Its dedupe
 *   key is (timeUs, seq ?? −1) per state and metric: a reading at or before the last applied key
 *   of that metric in that state is ignored, so replays change nothing. A state's clock never
 *   goes back: a reading older than the state's last step is applied at that step's time.
 * - Readings with event time < nowMs − maxLatenessMs are not evaluated; one `late_reading`
 *   notice per device per process() call.
 * - Scope: kind ∈ scope.kinds (or none listed), id ∈ devices (or none), block code starts with
 *   one of blocks (or none), and the device has every scope tag. A reading only touches the
 *   rules whose condition reads its metric (no_data without a metric: every reading).
 * - Timers (for, clearFor, no_data, k-of-n ageing, a schedule opening while the condition
 *   holds) fire at their due instant: before each reading for those due at or before its time,
 *   and in advanceTo. The transition's atMs is the due instant, not the time of the call.
 * - A rule whose evaluation throws is disabled for the process (`rule_disabled` notice, its
 *   states dropped, listed in stats().disabled); the other rules keep running.
 * - Hot apply keeps the states of rules whose ruleHash is unchanged; changed, removed and
 *   disabled (`enabled: false`) rules drop theirs.
 */
export function createEngine(opts: EngineOptions): RuleEngine {
  return new Engine(opts);
}

class Engine implements RuleEngine {
  private rules = new Map<string, CompiledRule>();
  private index = new RuleIndex([]);
  private readonly devices = new Map<string, DeviceEntry>();
  private readonly blocks = new Map<CompiledRule, Map<string, BlockState>>();
  private readonly timers = new TimerHeap<AnyState>();
  private readonly active = new Set<AnyState>();
  private dirty: AnyState[] = [];
  /** States dropped outside a hot apply, exported as `state: null` so their rows go. */
  private gone: PersistedState[] = [];
  /** Rules that failed to compile or threw, by id, with the hash they failed with. */
  private readonly disabled = new Map<string, { hash: string; message: string }>();
  private pendingNotices: EngineNotice[] = [];
  private evaluations = 0;
  private readonly lv: Levels = { raise: 0, hold: 0 };

  constructor(private readonly opts: EngineOptions) {}

  setRules(list: readonly VersionedRule[]): { kept: string[]; reset: string[] } {
    const next = new Map<string, CompiledRule>();
    const kept: string[] = [];
    const reset: string[] = [];
    for (const { rule, version } of list) {
      if (rule.enabled === false) {
        this.disabled.delete(rule.id);
        reset.push(rule.id);
        continue;
      }
      const hash = ruleHash(rule);
      const old = this.rules.get(rule.id);
      if (old && old.hash === hash) {
        old.version = version;
        next.set(rule.id, old);
        kept.push(rule.id);
        continue;
      }
      reset.push(rule.id);
      if (this.disabled.get(rule.id)?.hash === hash) continue; // still broken: stays disabled
      this.disabled.delete(rule.id);
      try {
        next.set(rule.id, compileRule(rule, version, hash));
      } catch (e) {
        this.disable(rule.id, hash, e, null, null, this.pendingNotices);
      }
    }
    for (const id of this.disabled.keys()) if (!list.some((v) => v.rule.id === id && v.rule.enabled !== false)) this.disabled.delete(id);
    this.rules = next;
    this.reindex(false);
    return { kept, reset };
  }

  process(readings: readonly EngineReading[], nowMs: number): StepResult {
    const res = this.begin();
    const oldest = nowMs - this.opts.maxLatenessMs;
    let late: Set<string> | null = null;
    for (const r of readings) {
      const t = Math.floor(r.timeUs / 1000);
      if (t < oldest) {
        late ??= new Set();
        if (!late.has(r.deviceId)) {
          late.add(r.deviceId);
          res.notices.push({ type: 'late_reading', ruleId: null, deviceId: r.deviceId, atMs: t, message: `reading of ${r.metric} at ${new Date(t).toISOString()} is older than the lateness limit; stored, not evaluated` });
        }
        continue;
      }
      if (this.timers.peek() <= t) this.fire(t, res);
      this.apply(r, t, res);
    }
    return this.end(res);
  }

  advanceTo(nowMs: number): StepResult {
    const res = this.begin();
    this.fire(nowMs, res);
    return this.end(res);
  }

  watch(deviceId: string, lastSeenMs: number): void {
    const e = this.entry(deviceId);
    if (!e) return;
    e.profile.rules.forEach((rule, slot) => {
      if (!rule.cond.watches || rule.kofn) return;
      try {
        let st = e.states[slot] as DeviceState | undefined;
        if (!st) {
          st = e.states[slot] = new DeviceState(rule, e);
          st.lastT = lastSeenMs;
        }
        st.mem = rule.cond.seen(st.mem, lastSeenMs);
        this.rescheduleFromState(st);
        this.touch(st);
      } catch (err) {
        this.breakRule(rule, err, lastSeenMs, deviceId, this.pendingNotices);
      }
    });
  }

  exportStates(opts: { all?: boolean } = {}): PersistedState[] {
    const out = this.gone;
    this.gone = [];
    if (opts.all) {
      for (const st of this.dirty) st.dirty = false;
      this.eachState((st) => out.push(persisted(st)));
    } else {
      for (const st of this.dirty) {
        st.dirty = false;
        if (st.alive) out.push(persisted(st));
      }
    }
    this.dirty = [];
    return out;
  }

  importStates(states: readonly PersistedState[]): void {
    const relink = new Set<CompiledRule>();
    for (const p of states) {
      const rule = this.rules.get(p.ruleId);
      if (!rule || rule.hash !== p.ruleHash || p.state === null || p.state === undefined) continue;
      const json: unknown = structuredClone(p.state);
      if (p.subjectKey.startsWith('block:')) {
        if (!rule.kofn) continue;
        const b = new BlockState(rule, p.subjectKey.slice('block:'.length));
        if (!restoreBlock(b, json, (id) => this.member(b, id))) continue;
        const blocks = this.blocksOf(rule);
        const old = blocks.get(b.prefix);
        if (old) this.drop(old, false);
        blocks.set(b.prefix, b);
        relink.add(rule);
        this.settle(b);
        continue;
      }
      const e = this.entry(p.subjectKey);
      const slot = e ? e.profile.rules.indexOf(rule) : -1;
      if (!e || slot < 0 || rule.kofn) continue;
      const st = new DeviceState(rule, e);
      if (!restoreDevice(st, json)) continue;
      const old = e.states[slot];
      if (old instanceof DeviceState) this.drop(old, false);
      e.states[slot] = st;
      this.settle(st);
    }
    // Members of replaced blocks are linked again on the device's next reading.
    if (relink.size > 0) {
      for (const e of this.devices.values()) {
        e.profile.rules.forEach((r, i) => {
          if (relink.has(r)) e.states[i] = undefined;
        });
      }
    }
  }

  activeGrades(): Array<{ fingerprint: string; ruleId: string; grade: GradeLevel }> {
    return [...this.active].map((s) => ({ fingerprint: s.fingerprint, ruleId: s.rule.id, grade: s.c as GradeLevel }));
  }

  stats(): { rules: number; disabled: string[]; states: number; evaluations: number } {
    let states = 0;
    this.eachState(() => states++);
    return { rules: this.rules.size, disabled: [...this.disabled.keys()].sort(), states, evaluations: this.evaluations };
  }

  // ---- readings

  /** Evaluates one reading against every rule of its device that reads its metric. */
  private apply(r: EngineReading, t: number, res: StepResult): void {
    const seq = r.seq ?? -1;
    const value = r.value !== null && Number.isFinite(r.value) ? r.value : null;
    for (;;) {
      const e = this.entry(r.deviceId);
      if (!e) return;
      const p = e.profile;
      const pairs = p.byMetric.get(r.metric) ?? p.other;
      let broke = false;
      for (let i = 0; i < pairs.length; i += 2) {
        const slot = pairs[i] as number;
        const rule = p.rules[slot] as CompiledRule;
        try {
          const applied = rule.kofn
            ? this.readMember(e, slot, rule, pairs[i + 1] as number, r.timeUs, seq, t, value, r.state, res)
            : this.readDevice(e, slot, rule, pairs[i + 1] as number, r.timeUs, seq, t, value, r.state, res);
          if (applied) res.evaluations++;
        } catch (err) {
          this.breakRule(rule, err, t, r.deviceId, res.notices);
          broke = true;
          break;
        }
      }
      // The profile changed under us: go again; dedupe skips the rules already applied.
      if (!broke) return;
    }
  }

  private readDevice(e: DeviceEntry, slot: number, rule: CompiledRule, mi: number, timeUs: number, seq: number, t: number, value: number | null, state: string | null, res: StepResult): boolean {
    let st = e.states[slot] as DeviceState | undefined;
    if (st === undefined) st = e.states[slot] = new DeviceState(rule, e);
    if (!takeKey(st.keys, mi, timeUs, seq)) return false;
    const tt = t > st.lastT ? t : st.lastT;
    st.mem = rule.cond.apply(st.mem, mi, tt, value, state);
    this.stepDevice(st, tt, res);
    return true;
  }

  private readMember(e: DeviceEntry, slot: number, rule: CompiledRule, mi: number, timeUs: number, seq: number, t: number, value: number | null, state: string | null, res: StepResult): boolean {
    let m = e.states[slot] as Member | undefined;
    if (m === undefined || !m.block.alive) {
      const b = this.block(rule, e.ctx.blockCode.slice(0, rule.kofn?.digits ?? 17));
      m = e.states[slot] = b.members.get(e.id) ?? this.member(b, e.id);
    }
    if (!takeKey(m.keys, mi, timeUs, seq)) return false;
    const b = m.block;
    const tt = t > b.lastT ? t : b.lastT;
    m.mem = rule.cond.apply(m.mem, mi, tt, value, state);
    rule.cond.levels(m.mem, tt, this.lv);
    if (this.lv.raise > 0) {
      m.held = true;
      m.lastHeld = tt;
    } else if (m.held) {
      m.held = false;
      m.lastHeld = tt;
    }
    if (m.held || b.last === null) b.last = { deviceId: e.id, kind: e.ctx.kind, blockCode: e.ctx.blockCode, exercise: e.ctx.exercise };
    this.stepBlock(b, tt, res);
    return true;
  }

  // ---- stepping

  private stepDevice(st: DeviceState, t: number, res: StepResult): void {
    const rule = st.rule;
    rule.cond.levels(st.mem, t, this.lv);
    const raise = this.lv.raise;
    const from = st.c;
    const active = raise <= from || rule.schedule === null || rule.schedule.isActive(t);
    const to = step(st, t, raise, this.lv.hold, active, rule.timing);
    st.lastT = t;
    if (to >= 0) {
      const d = rule.cond.describe(st.mem, t, to, to < from);
      const ctx = st.device.ctx;
      res.transitions.push({
        fingerprint: st.fingerprint,
        ruleId: rule.id,
        ruleVersion: rule.version,
        subject: { type: 'device', id: st.device.id },
        deviceId: st.device.id,
        kind: ctx.kind,
        blockCode: ctx.blockCode,
        from: from as GradeLevel,
        to: to as GradeLevel,
        atMs: t,
        metric: d.metric,
        value: d.value,
        state: d.state,
        reason: d.text + heldFor(rule, from, to),
        exercise: ctx.exercise,
      });
      this.markActive(st);
    }
    // The common case, nothing pending and no timer set, needs no rescheduling.
    // (With none of these, reschedule() would find nothing due and change nothing.)
    if (to >= 0 || st.due !== Infinity || rule.cond.timed || !active || machinePending(st)) this.reschedule(st, raise, active);
    this.touch(st);
  }

  private stepBlock(b: BlockState, t: number, res: StepResult): void {
    const rule = b.rule;
    const k = rule.kofn;
    if (!k) return;
    const devices = counted(b, k.windowMs, t);
    const level = blockLevel(k, devices.length);
    const from = b.c;
    const active = level <= from || rule.schedule === null || rule.schedule.isActive(t);
    const to = step(b, t, level, level, active, rule.timing);
    b.lastT = t;
    if (to >= 0) {
      const last = b.last;
      res.transitions.push({
        fingerprint: b.fingerprint,
        ruleId: rule.id,
        ruleVersion: rule.version,
        subject: { type: 'block', id: b.prefix },
        deviceId: last?.deviceId ?? null,
        kind: last?.kind ?? null,
        blockCode: last?.blockCode ?? b.prefix,
        from: from as GradeLevel,
        to: to as GradeLevel,
        atMs: t,
        metric: null,
        value: devices.length,
        state: null,
        reason: blockReason(k, b.prefix, devices.length, to < from ? from : to, to < from) + heldFor(rule, from, to),
        devices,
        exercise: last?.exercise ?? false,
      });
      this.markActive(b);
    }
    this.reschedule(b, level, active);
    this.touch(b);
  }

  /** Sets the state's next due instant: a pending for / clearFor, the condition's own clock, a schedule opening. */
  private reschedule(st: AnyState, raise: number, active: boolean): void {
    const rule = st.rule;
    let due = machineDue(st, rule.timing);
    if (st instanceof BlockState) {
      if (rule.kofn) due = Math.min(due, nextAgeOut(st, rule.kofn.windowMs, st.lastT));
    } else if (rule.cond.timed) due = Math.min(due, rule.cond.nextChange(st.mem, st.lastT));
    if (!active && raise > st.c && rule.schedule) due = Math.min(due, rule.schedule.nextActive(st.lastT));
    st.due = due;
    this.timers.schedule(st);
  }

  /** reschedule() for a state that was not just stepped (import, watch): levels from its memory. */
  private rescheduleFromState(st: AnyState): void {
    const rule = st.rule;
    let raise: number;
    if (st instanceof BlockState) raise = rule.kofn ? blockLevel(rule.kofn, counted(st, rule.kofn.windowMs, st.lastT).length) : 0;
    else {
      rule.cond.levels(st.mem, st.lastT, this.lv);
      raise = this.lv.raise;
    }
    const active = raise <= st.c || rule.schedule === null || rule.schedule.isActive(st.lastT);
    this.reschedule(st, raise, active);
  }

  private fire(limit: number, res: StepResult): void {
    for (let next = this.timers.popDue(limit); next; next = this.timers.popDue(limit)) {
      const { state: st, at } = next;
      const t = at > st.lastT ? at : st.lastT;
      try {
        if (st instanceof BlockState) this.stepBlock(st, t, res);
        else this.stepDevice(st, t, res);
      } catch (err) {
        this.breakRule(st.rule, err, t, st instanceof DeviceState ? st.device.id : null, res.notices);
      }
    }
  }

  // ---- bookkeeping

  private begin(): StepResult {
    const notices = this.pendingNotices;
    this.pendingNotices = [];
    return { transitions: [], notices, evaluations: 0 };
  }

  private end(res: StepResult): StepResult {
    this.evaluations += res.evaluations;
    return res;
  }

  private touch(st: AnyState): void {
    if (!st.dirty) {
      st.dirty = true;
      this.dirty.push(st);
    }
  }

  private markActive(st: AnyState): void {
    if (st.c > 0) this.active.add(st);
    else this.active.delete(st);
  }

  /** An imported state: active set and timer. */
  private settle(st: AnyState): void {
    this.markActive(st);
    this.rescheduleFromState(st);
  }

  private drop(st: AnyState, forget: boolean): void {
    if (!st.alive) return;
    st.alive = false;
    this.active.delete(st);
    if (forget) this.gone.push({ ruleId: st.rule.id, ruleHash: st.rule.hash, subjectKey: st.subjectKey, partition: st.partition, state: null });
  }

  /** The device's entry, its context refreshed from the lookup; undefined for an unknown device. */
  private entry(id: string): DeviceEntry | undefined {
    const ctx = this.opts.lookup(id);
    if (!ctx) return undefined;
    let e = this.devices.get(id);
    if (!e) {
      const profile = this.index.profileFor(ctx);
      e = { id, ctx, profile, states: new Array(profile.rules.length) };
      this.devices.set(id, e);
    } else if (e.ctx !== ctx) {
      const before = e.ctx;
      e.ctx = ctx;
      if (!sameContext(before, ctx)) this.reprofile(e, before.blockCode !== ctx.blockCode, true);
    }
    return e;
  }

  /** After a rule-set or device change: the entry's new profile, keeping states of rules still in it. */
  private reprofile(e: DeviceEntry, movedBlock: boolean, forget: boolean): void {
    const p = this.index.profileFor(e.ctx);
    const old = e.profile;
    const states: DeviceEntry['states'] = new Array(p.rules.length);
    const slotOf = new Map(p.rules.map((r, i) => [r, i]));
    e.states.forEach((s, i) => {
      if (s === undefined) return;
      const j = slotOf.get(old.rules[i] as CompiledRule);
      if (s instanceof Member) {
        if (j !== undefined && !movedBlock) states[j] = s;
      } else if (j !== undefined) states[j] = s;
      else this.drop(s, forget);
    });
    e.profile = p;
    e.states = states;
  }

  private reindex(forgetDropped: boolean): void {
    this.index = new RuleIndex([...this.rules.values()]);
    for (const e of this.devices.values()) this.reprofile(e, false, forgetDropped);
    for (const [rule, blocks] of this.blocks) {
      if (this.rules.get(rule.id) === rule) continue;
      for (const b of blocks.values()) this.drop(b, forgetDropped);
      this.blocks.delete(rule);
    }
  }

  private blocksOf(rule: CompiledRule): Map<string, BlockState> {
    let m = this.blocks.get(rule);
    if (!m) this.blocks.set(rule, (m = new Map()));
    return m;
  }

  private block(rule: CompiledRule, prefix: string): BlockState {
    const blocks = this.blocksOf(rule);
    let b = blocks.get(prefix);
    if (!b) blocks.set(prefix, (b = new BlockState(rule, prefix)));
    return b;
  }

  private member(b: BlockState, deviceId: string): Member {
    const m = new Member(b, deviceId);
    b.members.set(deviceId, m);
    return m;
  }

  private eachState(f: (st: AnyState) => void): void {
    for (const e of this.devices.values()) for (const s of e.states) if (s instanceof DeviceState && s.alive) f(s);
    for (const blocks of this.blocks.values()) for (const b of blocks.values()) if (b.alive) f(b);
  }

  private breakRule(rule: CompiledRule, err: unknown, atMs: number, deviceId: string | null, notices: EngineNotice[]): void {
    if (this.rules.get(rule.id) !== rule) return;
    this.rules.delete(rule.id);
    this.disable(rule.id, rule.hash, err, atMs, deviceId, notices);
    this.reindex(true);
  }

  private disable(ruleId: string, hash: string, err: unknown, atMs: number | null, deviceId: string | null, notices: EngineNotice[]): void {
    const message = err instanceof Error ? err.message : String(err);
    this.disabled.set(ruleId, { hash, message });
    notices.push({ type: 'rule_disabled', ruleId, deviceId, atMs: atMs ?? 0, message: `rule ${ruleId} is disabled until it changes or the process restarts: ${message}` });
  }
}

/** " for 60s" when the change waited for a `for` (up) or `clearFor` (down). */
function heldFor(rule: CompiledRule, from: number, to: number): string {
  const ms = to > from ? (rule.timing.forMs[to] as number) : rule.timing.clearForMs;
  return ms > 0 ? ` for ${formatDuration(ms)}` : '';
}

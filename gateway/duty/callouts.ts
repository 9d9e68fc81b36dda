import type { Config } from '../config/schema.js';
import type { Clock, ClockTimer } from '../core/clock.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db, Queryable } from '../storage/db.js';
import type { EventFeed } from '../events/types.js';
import type { Outbox } from '../outbox/types.js';
import type { Emit } from '../warnings/types.js';
import { gradeLevel } from '../../rules/schema.js';
import type { CalloutRequest, CalloutStatus, Duty } from './types.js';
import { claimDue, flushPendingEvents, insertCallout, loadCallout, readLog, saveCallout, toStatus, writeLog, type Callout } from './callout-store.js';
import { placeCall, type CallContext } from './calls.js';
import { getPlan, isPlanCategory, resolveSteps } from './plans.js';

/**
 * 叫应 callouts (seed 003 §四2, docs/duty.md): the state machine. A callout calls the person on
 * duty for the first step, reminds every `remindEveryMs`, escalates to the next role when the
 * step's deadline passes, and after the last step stays `exhausted`, reminding, until someone
 * acknowledges or the warning clears. All state is in the database: every process may tick, a
 * restart continues where it stopped, and rows are claimed with SKIP LOCKED.
 */

export type AcknowledgedBy = Parameters<Duty['acknowledge']>[2];
/** Runs in the acknowledgement's transaction, e.g. to mark the warning acknowledged as well. */
export type AcknowledgeHook = (tx: Queryable, emit: Emit, warningId: string, by: AcknowledgedBy, nowMs: number) => Promise<void>;

export interface DutyOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  outbox: Outbox;
  feed: EventFeed;
  config: Config;
  /** Base URL the phone gateway reaches this gateway at (acknowledgeUrl); empty: a path only. */
  publicUrl?: string;
  /** Callouts handled per tick transaction. */
  batch?: number;
}

export interface DutyService extends Duty {
  /** The acknowledgement callback: its own event transaction, then the acknowledge hook. */
  acknowledgeNow(warningId: string, by: AcknowledgedBy, nowMs: number): Promise<{ acknowledged: boolean; status: CalloutStatus | null }>;
  /** Whether a notifier channel of that name is registered (call plans may name only those). */
  hasChannel(name: string): boolean;
  /** Sets what else an acknowledgement does (the warning service marks its warning). */
  onAcknowledged(hook: AcknowledgeHook): void;
  /** Ticks on the clock every `everyMs` until stop(). */
  start(everyMs: number): void;
  stop(): Promise<void>;
}

const open = (c: Callout) => c.state === 'calling' || c.state === 'exhausted';

export function createDuty(opts: DutyOptions): DutyService {
  const { db, clock, outbox, feed, config } = opts;
  const log = componentLogger(opts.logger, 'duty');
  const batch = opts.batch ?? 50;
  const base = (opts.publicUrl ?? '').replace(/\/+$/, '');
  const calls: CallContext = { outbox, logger: log, acknowledgeUrl: (id) => `${base}/api/v1/duty/callouts/${encodeURIComponent(id)}/acknowledge` };
  let ackHook: AcknowledgeHook | undefined;

  /** When tick must next look: the next reminder or the deadline, whichever is first. */
  const schedule = (c: Callout, nowMs: number) => {
    const remind = c.remindEveryMs > 0 ? nowMs + c.remindEveryMs : null;
    c.nextAtMs = c.state === 'calling' ? Math.min(remind ?? Infinity, c.deadlineAtMs) : c.state === 'exhausted' ? remind : null;
  };

  const stepDeadline = (c: Callout, nowMs: number) => nowMs + (c.steps[c.step]?.deadlineMs ?? config.warnings.acknowledgeDeadlineMs);

  async function fresh(tx: Queryable, req: CalloutRequest, nowMs: number, calls: number): Promise<Callout> {
    if (!isPlanCategory(req.category)) log.warn({ warningId: req.warningId, category: req.category }, 'unknown warning category: using the default call plan');
    const plan = await getPlan(tx, isPlanCategory(req.category) ? req.category : 'default');
    const deadline = req.deadlineMs > 0 ? req.deadlineMs : config.warnings.acknowledgeDeadlineMs;
    const c: Callout = {
      warningId: req.warningId, fingerprint: req.fingerprint, grade: req.grade, kind: req.kind, blockCode: req.blockCode, category: req.category,
      summary: req.summary, exercise: req.exercise, steps: resolveSteps(plan, req.chain, deadline), remindEveryMs: Math.max(0, req.remindEveryMs),
      state: 'calling', step: 0, person: null, calls, deadlineAtMs: 0, nextAtMs: null,
      acknowledgedBy: null, acknowledgedPerson: null, acknowledgedAtMs: null, closedReason: null,
    };
    c.deadlineAtMs = stepDeadline(c, nowMs);
    return c;
  }

  async function startCallout(tx: Queryable, req: CalloutRequest, nowMs: number, emit?: Emit): Promise<void> {
    let c = await fresh(tx, req, nowMs, 0);
    if (!(await insertCallout(tx, c, nowMs))) {
      const existing = await loadCallout(tx, req.warningId, true);
      if (!existing) throw new Error(`callout ${req.warningId} vanished while starting`);
      if (existing.state === 'cancelled') {
        // The warning cleared and is raised again: a new callout from the first step; keys keep counting.
        c = await fresh(tx, req, nowMs, existing.calls);
      } else if (existing.grade === req.grade) {
        return;
      } else {
        await regrade(tx, existing, req, nowMs, emit);
        return;
      }
    }
    await placeCall(calls, tx, emit, c, 'call', nowMs);
    schedule(c, nowMs);
    await saveCallout(tx, c, nowMs);
  }

  /** A grade change keeps the step; going up calls again at that step (reopening an acknowledged callout). */
  async function regrade(tx: Queryable, c: Callout, req: CalloutRequest, nowMs: number, emit: Emit | undefined): Promise<void> {
    const up = gradeLevel(req.grade) > gradeLevel(c.grade);
    const was = c.grade;
    Object.assign(c, { grade: req.grade, summary: req.summary, exercise: req.exercise });
    await writeLog(tx, emit, c, { type: 'regraded', role: null, person: null, channel: null, detail: `grade ${was} → ${req.grade}${up ? ', calling again at this step' : ''}`, data: { from: was, to: req.grade } }, nowMs);
    if (up) {
      Object.assign(c, { state: 'calling', acknowledgedBy: null, acknowledgedPerson: null, acknowledgedAtMs: null });
      c.deadlineAtMs = stepDeadline(c, nowMs);
      await placeCall(calls, tx, emit, c, 'call', nowMs);
      schedule(c, nowMs);
    }
    await saveCallout(tx, c, nowMs);
  }

  async function acknowledge(tx: Queryable, warningId: string, by: AcknowledgedBy, nowMs: number, emit?: Emit): Promise<boolean> {
    const c = await loadCallout(tx, warningId, true);
    if (!c || !open(c)) return false;
    Object.assign(c, { state: 'acknowledged', acknowledgedBy: by.actor, acknowledgedPerson: by.personId ?? null, acknowledgedAtMs: nowMs });
    schedule(c, nowMs);
    const person = by.personId ? { id: by.personId, ...(c.person?.id === by.personId ? { name: c.person.name } : {}) } : null;
    const note = by.note ? `: ${by.note}` : '';
    await writeLog(tx, emit, c, { type: 'acknowledged', role: c.steps[c.step]?.role ?? null, person, channel: null, detail: `acknowledged by ${by.actor}${note}` }, nowMs);
    await saveCallout(tx, c, nowMs);
    return true;
  }

  async function cancel(tx: Queryable, warningId: string, reason: string, nowMs: number, emit?: Emit): Promise<void> {
    const c = await loadCallout(tx, warningId, true);
    if (!c || c.state === 'cancelled') return;
    Object.assign(c, { state: 'cancelled', closedReason: reason });
    schedule(c, nowMs);
    await writeLog(tx, emit, c, { type: 'cancelled', role: null, person: null, channel: null, detail: reason }, nowMs);
    await saveCallout(tx, c, nowMs);
  }

  /** One due callout: escalate past the deadline, else remind. */
  async function advance(tx: Queryable, emit: Emit, c: Callout, nowMs: number): Promise<void> {
    if (c.state === 'calling' && nowMs >= c.deadlineAtMs) {
      if (c.step + 1 < c.steps.length) {
        c.step += 1;
        c.person = null;
        c.deadlineAtMs = stepDeadline(c, nowMs);
        await placeCall(calls, tx, emit, c, 'escalated', nowMs);
      } else {
        c.state = 'exhausted';
        await writeLog(tx, emit, c, { type: 'exhausted', role: c.steps[c.step]?.role ?? null, person: c.person, channel: null, detail: 'the chain is exhausted: reminding the last in it until someone acknowledges' }, nowMs);
      }
    } else {
      await placeCall(calls, tx, emit, c, 'reminder', nowMs);
    }
    schedule(c, nowMs);
    await saveCallout(tx, c, nowMs);
  }

  async function tick(nowMs: number): Promise<void> {
    // Each round claims a batch; a full batch means there may be more. Bounded, so a fault cannot spin.
    for (let round = 0; round < 100; round++) {
      const handled = await feed.transaction(async (tx, emit) => {
        const due = await claimDue(tx, nowMs, batch);
        for (const c of due) await advance(tx, emit, c, nowMs);
        const flushed = await flushPendingEvents(tx, emit, batch);
        return Math.max(due.length, flushed);
      });
      if (handled > 0) outbox.poke();
      if (handled < batch) return;
    }
  }

  let timer: ClockTimer | undefined;
  let running = false;
  let current: Promise<void> = Promise.resolve();

  return {
    startCallout, acknowledge, cancel, tick,
    async status(warningId) {
      const c = await loadCallout(db, warningId);
      return c ? toStatus(c) : null;
    },
    async log(warningId) {
      const rows = await readLog(db, warningId);
      return rows.map((r) => ({ atMs: Date.parse(r.at), type: r.type, role: r.role, person: r.personId, channel: r.channel, detail: r.detail }));
    },
    async acknowledgeNow(warningId, by, nowMs) {
      const acknowledged = await feed.transaction(async (tx, emit) => {
        const ok = await acknowledge(tx, warningId, by, nowMs, emit);
        if (ok && ackHook) await ackHook(tx, emit, warningId, by, nowMs);
        return ok;
      });
      const c = await loadCallout(db, warningId);
      return { acknowledged, status: c ? toStatus(c) : null };
    },
    hasChannel: (name) => outbox.hasChannel(name),
    onAcknowledged(hook) {
      ackHook = hook;
    },
    start(everyMs) {
      if (running) return;
      running = true;
      const loop = () => {
        timer = clock.setTimeout(() => {
          current = tick(clock.now())
            .catch((e: unknown) => log.error({ err: e }, 'duty tick failed; retrying on the next one'))
            .finally(() => {
              if (running) loop();
            });
        }, everyMs);
        timer.unref?.();
      };
      loop();
    },
    async stop() {
      running = false;
      if (timer) clock.clearTimeout(timer);
      await current;
    },
  };
}

import type { Clock } from '../core/clock.js';
import type { Config } from '../config/schema.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db, Queryable } from '../storage/db.js';
import type { EventFeed } from '../events/types.js';
import type { Outbox } from '../outbox/types.js';
import type { Duty } from '../duty/types.js';
import { gradeLevel } from '../../rules/schema.js';
import type { CaseOpener, Emit, WarningService } from './types.js';
import { applyTransition } from './apply.js';
import type { WarningContext } from './lifecycle.js';
import { acknowledge, acknowledgedByDuty, comment, manualClear, type Actor, type ManualResult } from './manual.js';
import { handleNotice, resolveRuleDisabled } from './notices.js';
import { setDirectWarning, type DirectWarningInput } from './direct.js';
import { getWarning, listWarnings, timeline, toView } from './repo.js';
import type { TimelineEntry, WarningQuery, WarningView } from './schema.js';
import { liveSilences } from './silences.js';
import { clearQuietStorms } from './storm.js';
import { StormWindow } from './storm-window.js';

export interface WarningServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  outbox: Outbox;
  duty: Duty;
  config: Pick<Config, 'warnings' | 'cases'>;
  /** Opens cases for warnings that ask for one (gateway/cases); without it, the request is only recorded. */
  cases?: CaseOpener;
  /** For the writes the service starts itself (the API's acknowledge, comment, clear; storm clears on tick). */
  events: EventFeed;
}

/** Called inside the write's transaction with the warning before and after: the routes record audit here. */
export type OnWrite = (tx: Queryable, r: ManualResult) => Promise<void>;

export interface WarningDetail {
  warning: WarningView;
  timeline: TimelineEntry[];
}

export interface Warnings extends WarningService {
  /** Clears storm warnings after a quiet minute (driven by the rules tick; cheap when there is nothing to do). */
  tick(nowMs: number): Promise<void>;
  /** For `duty.onAcknowledged`: an acknowledgement through the 叫应 call (not the API) marks the warning as well. */
  acknowledgedByDuty(tx: Queryable, emit: Emit, warningId: string, by: { actor: string; personId?: string | null; note?: string | null }, nowMs: number): Promise<void>;
  /** Raises, regrades or (grade null) clears a warning no rule raises: SLA breaches, external CAP warnings, link alarms (direct.ts). */
  setDirect(tx: Queryable, emit: Emit, input: DirectWarningInput, nowMs: number): Promise<WarningView | undefined>;
  /** The same in a transaction of its own. */
  setDirectNow(input: DirectWarningInput): Promise<WarningView | undefined>;
  /** Clears the system warning of a rule that runs again. */
  resolveRuleDisabled(tx: Queryable, emit: Emit, ruleId: string, reason: string, nowMs: number): Promise<boolean>;
  list(q: WarningQuery): Promise<{ warnings: WarningView[]; nextCursor: string | null }>;
  /** The warning with its timeline, the 叫应 call log merged in by time. */
  get(id: string): Promise<WarningDetail | undefined>;
  acknowledge(id: string, by: Actor, opts: { note?: string | null; personId?: string | null; onWrite?: OnWrite }): Promise<WarningView>;
  comment(id: string, by: Actor, text: string, opts?: { onWrite?: OnWrite }): Promise<WarningView>;
  clear(id: string, by: Actor, reason: string, opts?: { onWrite?: OnWrite }): Promise<WarningView>;
}

export function createWarningService(deps: WarningServiceDeps): Warnings {
  const ctx: WarningContext = {
    outbox: deps.outbox, duty: deps.duty, warnings: deps.config.warnings, window: new StormWindow(), log: componentLogger(deps.logger, 'warnings'),
    cases: deps.cases, caseAtLevel: deps.config.cases.openAtGrade === 'off' ? 0 : gradeLevel(deps.config.cases.openAtGrade),
  };
  const { events, clock } = deps;

  async function write(fn: (tx: Queryable, emit: Emit, nowMs: number) => Promise<ManualResult>, onWrite: OnWrite | undefined): Promise<WarningView> {
    const r = await events.transaction(async (tx, emit) => {
      const out = await fn(tx, emit, clock.now());
      if (out.changed && onWrite) await onWrite(tx, out);
      return out;
    });
    deps.outbox.poke();
    return toView(r.after);
  }

  return {
    async apply(tx, emit, transitions, rules, nowMs) {
      await ctx.window.load(tx, nowMs);
      await clearQuietStorms(tx, emit, ctx, nowMs);
      if (transitions.length === 0) return;
      const silences = await liveSilences(tx, nowMs);
      for (const t of transitions) await applyTransition(tx, emit, ctx, t, rules(t.ruleId), silences, nowMs);
      ctx.window.prune(nowMs);
    },

    async notice(tx, emit, notice, nowMs) {
      await handleNotice(tx, emit, ctx, notice, nowMs);
    },

    async tick(nowMs) {
      await ctx.window.load(deps.db, nowMs);
      if (ctx.window.due(nowMs).length === 0) return;
      await events.transaction((tx, emit) => clearQuietStorms(tx, emit, ctx, nowMs));
      deps.outbox.poke();
    },

    acknowledgedByDuty,

    resolveRuleDisabled: (tx, emit, ruleId, reason, nowMs) => resolveRuleDisabled(tx, emit, ctx, ruleId, reason, nowMs),

    async setDirect(tx, emit, input, nowMs) {
      const row = await setDirectWarning(tx, emit, ctx, input, nowMs);
      return row ? toView(row) : undefined;
    },

    async setDirectNow(input) {
      const view = await events.transaction(async (tx, emit) => {
        const row = await setDirectWarning(tx, emit, ctx, input, clock.now());
        return row ? toView(row) : undefined;
      });
      deps.outbox.poke();
      return view;
    },

    async list(q) {
      const rows = await listWarnings(deps.db, {
        ...q,
        ...(q.grade !== undefined ? { level: gradeLevel(q.grade) } : {}),
        ...(q.minGrade !== undefined ? { minLevel: gradeLevel(q.minGrade) } : {}),
      });
      const last = rows[rows.length - 1];
      return { warnings: rows.map(toView), nextCursor: rows.length === q.limit && last ? String(last.id) : null };
    },

    async get(id) {
      const row = await getWarning(deps.db, id);
      if (!row) return undefined;
      const own = await timeline(deps.db, id);
      const calls = (await deps.duty.log(id)).map((e) => ({
        atMs: e.atMs,
        at: new Date(e.atMs).toISOString(),
        source: 'duty' as const,
        type: `callout.${e.type}`,
        fromGrade: null,
        toGrade: null,
        value: null,
        state: null,
        actor: e.role,
        text: e.detail,
        data: { role: e.role, person: e.person, channel: e.channel },
      }));
      // Stable: on the same millisecond the warning's own entry comes first.
      const merged = [...own, ...calls].sort((a, b) => a.atMs - b.atMs).map(({ atMs: _atMs, ...e }) => e);
      return { warning: toView(row), timeline: merged };
    },

    acknowledge: (id, by, opts) => write((tx, emit, now) => acknowledge(tx, emit, ctx, id, by, opts, now), opts.onWrite),
    comment: (id, by, text, opts = {}) => write((tx, emit, now) => comment(tx, emit, id, by, text, now), opts.onWrite),
    clear: (id, by, reason, opts = {}) => write((tx, emit, now) => manualClear(tx, emit, ctx, id, by, reason, now), opts.onWrite),
  };
}

import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db, Queryable } from '../storage/db.js';
import type { EventFeed } from '../events/types.js';
import type { Duty } from '../duty/types.js';
import type { CaseActor, CaseService, CaseView, NewCaseInput, TransitionInput } from './types.js';
import type { CaseCore } from './core.js';
import { createCase, openForWarning } from './open.js';
import { applyStep, markReportedIn } from './transition.js';
import { getCase, listCases, toView, transitions, type TransitionRecord } from './repo.js';
import { createReports, type WrittenReports } from './report.js';
import { buildCaseFile } from './file.js';
import type { CaseFile } from './file-schema.js';
import { caseDeliveries, type CaseDeliveries } from './deliveries.js';

export interface CasesDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Every change is one feed transaction with its case.* events. */
  feed: EventFeed;
  /** `cases.sources`: names of external sources in the case file. */
  config: Pick<Config, 'cases'>;
  /** The 叫应 call log of a case's warning, in the case file. */
  duty?: Pick<Duty, 'log'>;
}

/** Called inside the write's transaction with the case before (null: created) and after: the routes record audit here. */
export type OnCaseWrite = (tx: Queryable, w: { before: CaseView | null; after: CaseView }) => Promise<void>;

export interface Cases extends CaseService {
  create(input: NewCaseInput, actor: CaseActor, opts?: { onWrite?: OnCaseWrite }): Promise<{ case: CaseView; duplicate: boolean }>;
  transition(input: TransitionInput, opts?: { onWrite?: OnCaseWrite }): Promise<CaseView>;
  /** The case with every transition, oldest first. */
  detail(id: string): Promise<{ case: CaseView; transitions: TransitionRecord[] } | undefined>;
  /** The written report (draft, versions, confirmation). */
  readonly reports: WrittenReports;
  /** Outbox messages about the case and its warning, with their attempts. */
  deliveries(id: string): Promise<CaseDeliveries | undefined>;
  /** One event, one file: the whole record (seed S16). */
  file(id: string): Promise<CaseFile | undefined>;
}

/** The case service (docs/cases.md). `addHook` before any change is made. */
export function createCases(deps: CasesDeps): Cases {
  const core: CaseCore = { db: deps.db, clock: deps.clock, feed: deps.feed, log: componentLogger(deps.logger, 'cases'), hooks: [] };
  const reports = createReports(core);

  return {
    addHook(hook) {
      core.hooks.push(hook);
    },

    openForWarning: (tx, emit, warning, nowMs) => openForWarning(core, tx, emit, warning, nowMs),

    create(input, actor, opts = {}) {
      return core.feed.transaction(async (tx, emit) => {
        const out = await createCase(core, tx, emit, input, actor, core.clock.now());
        if (!out.duplicate) await opts.onWrite?.(tx, { before: null, after: out.case });
        return out;
      });
    },

    transition(input, opts = {}) {
      return core.feed.transaction(async (tx, emit) => {
        const r = await applyStep(core, tx, emit, input, core.clock.now());
        await opts.onWrite?.(tx, r);
        return r.after;
      });
    },

    async transitionIn(tx, emit, input, nowMs) {
      return (await applyStep(core, tx, emit, input, nowMs)).after;
    },

    markReported(caseId, atMs, districtCaseNo) {
      return core.feed.transaction((tx, emit) => markReportedIn(core, tx, emit, caseId, atMs, districtCaseNo ?? null, core.clock.now()));
    },

    async get(id) {
      const row = await getCase(core.db, id);
      return row ? toView(row) : undefined;
    },

    async list(q) {
      const limit = q.limit ?? 100;
      const rows = await listCases(core.db, { ...q, limit });
      const last = rows[rows.length - 1];
      return { cases: rows.map(toView), nextCursor: rows.length === limit && last ? String(last.id) : null };
    },

    async detail(id) {
      const row = await getCase(core.db, id);
      return row ? { case: toView(row), transitions: await transitions(core.db, String(row.id)) } : undefined;
    },

    reports,

    async deliveries(id) {
      const row = await getCase(core.db, id);
      return row ? caseDeliveries(core.db, toView(row)) : undefined;
    },

    file: (id) => buildCaseFile({ db: core.db, clock: core.clock, reports, sources: deps.config.cases.sources, duty: deps.duty }, id),
  };
}

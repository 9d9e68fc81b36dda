import { GatewayError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';
import { chinaTime } from '../events/store.js';
import { getWarning, toView as warningView } from '../warnings/repo.js';
import type { WarningView } from '../warnings/schema.js';
import type { CaseActor } from './types.js';
import { caseEvent, notFound, runHooks, type CaseCore } from './core.js';
import { getCase, toView, transitions, type CaseRow } from './repo.js';
import { draftReport } from './draft.js';
import type { ReportVersion, ReportView, WrittenReport } from './schema.js';

/**
 * Written reports (migration 012; docs/cases.md "Written report"): drafted from the case, edited
 * in versions, confirmed by the duty officer. Only a confirmed version counts: confirming emits
 * `case.report_confirmed` (the district link sends it) and runs the hooks (the SLA clock stops).
 */

export interface ReportAuthor {
  actor: CaseActor;
  /** Shown in the file and the version list (a username, not a person's phone). */
  name: string;
}

/** Called inside the write's transaction with the report before and after: the routes record audit here. */
export type OnReportWrite = (tx: Queryable, r: { before: ReportView; after: ReportView }) => Promise<void>;

export interface WrittenReports {
  /** The current version, or (nothing saved yet) a draft from the case as version 0. */
  get(caseId: string): Promise<ReportView>;
  /** Every saved version, oldest first, with its text. */
  versions(caseId: string): Promise<ReportVersion[]>;
  /** Saves the next version. `baseVersion`: the version the edit started from (409 when a newer one exists). */
  edit(caseId: string, report: WrittenReport, by: ReportAuthor, opts?: { baseVersion?: number; note?: string | null; onWrite?: OnReportWrite }): Promise<ReportView>;
  /** Confirms the current version (saving the draft as version 1 when nothing was saved); confirming it again changes nothing. */
  confirm(caseId: string, by: ReportAuthor, opts?: { version?: number; onWrite?: OnReportWrite }): Promise<ReportView>;
}

interface ReportRow {
  case_id: number;
  version: number;
  body: WrittenReport;
  edited_by: string;
  edited_by_name: string;
  edited_at_ms: number;
  note: string | null;
  confirmed_by: string | null;
  confirmed_by_name: string | null;
  confirmed_at_ms: number | null;
}

async function reportRows(q: Queryable, caseId: number | string): Promise<ReportRow[]> {
  return (await q.query<ReportRow>('SELECT * FROM case_reports WHERE case_id = $1::int8 ORDER BY version', [caseId])).rows;
}

function toVersion(r: ReportRow): ReportVersion {
  return {
    version: r.version,
    report: r.body,
    editedBy: { id: r.edited_by, name: r.edited_by_name },
    editedAt: chinaTime(Number(r.edited_at_ms)),
    note: r.note,
    confirmedBy: r.confirmed_by !== null ? { id: r.confirmed_by, name: r.confirmed_by_name ?? r.confirmed_by } : null,
    confirmedAt: r.confirmed_at_ms !== null ? chinaTime(Number(r.confirmed_at_ms)) : null,
  };
}

/** The warning of a case as the API shows it, or null. */
export async function caseWarning(q: Queryable, row: CaseRow): Promise<WarningView | null> {
  if (row.warning_id === null) return null;
  const w = await getWarning(q, row.warning_id);
  return w ? warningView(w) : null;
}

async function draftOf(q: Queryable, row: CaseRow): Promise<WrittenReport> {
  return draftReport(toView(row), await caseWarning(q, row), await transitions(q, String(row.id)));
}

async function viewOf(q: Queryable, row: CaseRow, rows: readonly ReportRow[]): Promise<ReportView> {
  const versions = rows.map(toVersion);
  const current = versions[versions.length - 1];
  const confirmed = versions.filter((v) => v.confirmedAt !== null).pop();
  return {
    caseId: String(row.id),
    version: current?.version ?? 0,
    report: current?.report ?? (await draftOf(q, row)),
    confirmed: current?.confirmedAt != null,
    lastConfirmed: confirmed?.confirmedBy && confirmed.confirmedAt ? { version: confirmed.version, by: confirmed.confirmedBy, at: confirmed.confirmedAt } : null,
    versions: versions.map((v) => ({ version: v.version, editedBy: v.editedBy, editedAt: v.editedAt, confirmedAt: v.confirmedAt })),
  };
}

async function insertVersion(tx: Queryable, caseId: number, version: number, report: WrittenReport, by: ReportAuthor, note: string | null, nowMs: number): Promise<void> {
  await tx.query(
    `INSERT INTO case_reports (case_id, version, body, edited_by, edited_by_name, edited_at_ms, note) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [caseId, version, JSON.stringify(report), by.actor.id, by.name, nowMs, note],
  );
}

function staleVersion(caseId: string, given: number, current: number): GatewayError {
  return new GatewayError('GW_ERR_CONFLICT', `the written report of case ${caseId} is at version ${current}, not ${given}: read it again first`, [{ field: '/version', message: `the current version is ${current}` }]);
}

export function createReports(core: CaseCore): WrittenReports {
  const locked = async (tx: Queryable, caseId: string): Promise<CaseRow> => {
    const row = await getCase(tx, caseId, { forUpdate: true });
    if (!row) throw notFound(caseId);
    return row;
  };

  return {
    async get(caseId) {
      const row = await getCase(core.db, caseId);
      if (!row) throw notFound(caseId);
      return viewOf(core.db, row, await reportRows(core.db, row.id));
    },

    async versions(caseId) {
      const row = await getCase(core.db, caseId);
      if (!row) throw notFound(caseId);
      return (await reportRows(core.db, row.id)).map(toVersion);
    },

    async edit(caseId, report, by, opts = {}) {
      return core.db.transaction(async (tx) => {
        const row = await locked(tx, caseId);
        const rows = await reportRows(tx, row.id);
        const current = rows[rows.length - 1]?.version ?? 0;
        if (opts.baseVersion !== undefined && opts.baseVersion !== current) throw staleVersion(caseId, opts.baseVersion, current);
        const before = await viewOf(tx, row, rows);
        await insertVersion(tx, row.id, current + 1, report, by, opts.note ?? null, core.clock.now());
        const after = await viewOf(tx, row, await reportRows(tx, row.id));
        await opts.onWrite?.(tx, { before, after });
        return after;
      });
    },

    async confirm(caseId, by, opts = {}) {
      return core.feed.transaction(async (tx, emit) => {
        const nowMs = core.clock.now();
        const row = await locked(tx, caseId);
        let rows = await reportRows(tx, row.id);
        const current = rows[rows.length - 1];
        if (opts.version !== undefined && opts.version !== (current?.version ?? 0)) throw staleVersion(caseId, opts.version, current?.version ?? 0);
        const before = await viewOf(tx, row, rows);
        if (current?.confirmed_at_ms != null) return before;
        // Nothing saved yet: the draft the officer read becomes version 1.
        const version = current?.version ?? 1;
        if (!current) await insertVersion(tx, row.id, 1, before.report, by, '按草稿确认', nowMs);
        await tx.query(
          'UPDATE case_reports SET confirmed_by = $3, confirmed_by_name = $4, confirmed_at_ms = $5 WHERE case_id = $1 AND version = $2',
          [row.id, version, by.actor.id, by.name, nowMs],
        );
        rows = await reportRows(tx, row.id);
        const c = toView(row);
        await emit(caseEvent('case.report_confirmed', c, { report: before.report, version }));
        await runHooks(core, tx, emit, { type: 'report_confirmed', case: c, atMs: nowMs, actor: by.actor }, nowMs);
        const after = await viewOf(tx, row, rows);
        await opts.onWrite?.(tx, { before, after });
        core.log.info({ case: c.id, version }, 'written report confirmed');
        return after;
      });
    },
  };
}

/**
 * Test parts for the SLA and report tests (not used by the service): the warning harness (real
 * feed, outbox, duty, warnings on a fresh database), the SLA service on it, and a stand-in for
 * the case service that writes case rows (migration 011 columns) and runs the SLA hook with
 * the CaseChange it would hand over.
 */
import type { Test } from 'tap';
import { pino } from 'pino';
import type { Config } from '../config/schema.js';
import type { Queryable } from '../storage/db.js';
import type { CaseActor, CaseChange, CaseStatus, CaseView } from '../cases/types.js';
import { getCase, toView } from '../cases/repo.js';
import { harness, type Harness } from '../warnings/test-support.js';
import { defaultCalendar } from '../duty/calendar.js';
import { createSla, type Sla } from './service.js';

export const BLOCK = '310117006001003012';
const district: CaseActor = { type: 'district', id: 'district' };

export interface SlaHarness extends Harness {
  sla: Sla;
  /** Opens a case (status new) and runs the `opened` hook. */
  open(over?: { incidentAtMs?: number; category?: string; exercise?: boolean; title?: string }): Promise<CaseView>;
  /** Moves the case row to `to` (as the case service would) and runs the `transition` hook. */
  step(caseId: string, to: CaseStatus, atMs: number, unit?: { id: string; tier: 1 | 2 | 3 }): Promise<CaseView>;
  /** Opens a case at `atMs`, reports it (and confirms its written report unless told not to) and dispatches it, all at `atMs`. */
  dispatched(unit: { id: string; tier: 1 | 2 | 3 }, atMs: number, opts?: { confirm?: boolean; exercise?: boolean }): Promise<CaseView>;
  /** Runs the `report_confirmed` hook. */
  confirmReport(caseId: string, atMs: number): Promise<void>;
  /** A case as stored now. */
  view(caseId: string): Promise<CaseView>;
  /** Moves the fake clock to an instant (never back). */
  at(ms: number): void;
}

export async function slaHarness(t: Test, sla: Partial<Config['cases']['sla']> = {}): Promise<SlaHarness> {
  const base = await harness(t);
  const config: Config = { ...base.config, cases: { ...base.config.cases, sla: { ...base.config.cases.sla, ...sla } } };
  const service = createSla({ db: base.db, clock: base.clock, logger: pino({ level: 'silent' }), feed: base.feed, warnings: base.service, config });
  t.teardown(() => service.stop());
  const run = (change: CaseChange) => base.feed.transaction((tx, emit) => service.hook(tx, emit, change, base.clock.now()));
  const view = async (id: string, q: Queryable = base.db) => {
    const row = await getCase(q, id);
    if (!row) throw new Error(`no case ${id}`);
    return toView(row);
  };
  const h: SlaHarness = {
    ...base,
    sla: service,
    view: (id) => view(id),
    at(ms) {
      if (ms < base.clock.now()) throw new Error('the fake clock only moves forward');
      base.clock.advance(ms - base.clock.now());
    },
    async open(over = {}) {
      const now = base.clock.now();
      const r = await base.db.query<{ id: string }>(
        `INSERT INTO cases (source, source_name, category, title, block_code, status, exercise, incident_at_ms, created_at_ms, updated_at_ms, created_by)
         VALUES ('manual', 'ops1', $1, $2, $3, 'new', $4, $5, $6, $6, 'ops1') RETURNING id::text`,
        [over.category ?? 'rainstorm', over.title ?? '东环路积水', BLOCK, over.exercise ?? false, over.incidentAtMs ?? now, now],
      );
      const kase = await view(r.rows[0]?.id ?? '');
      await run({ type: 'opened', case: kase });
      return kase;
    },
    async step(caseId, to, atMs, unit) {
      const before = await view(caseId);
      const timeCol = ['reported', 'dispatched', 'signed', 'arrived', 'handled', 'verified', 'closed'].includes(to) ? `, ${to}_at_ms = $3` : '';
      await base.db.query(
        `UPDATE cases SET status = $2, updated_at_ms = $3, unit_id = COALESCE($4, unit_id), unit_tier = COALESCE($5, unit_tier)${timeCol} WHERE id = $1::int8`,
        [caseId, to, atMs, unit?.id ?? null, unit?.tier ?? null],
      );
      const after = await view(caseId);
      await run({ type: 'transition', case: after, from: before.status, to, atMs, actor: district });
      return after;
    },
    async dispatched(unit, atMs, opts = {}) {
      h.at(atMs);
      const k = await h.open({ exercise: opts.exercise ?? false });
      await h.step(k.id, 'reported', atMs);
      if (opts.confirm ?? true) await h.confirmReport(k.id, atMs);
      return h.step(k.id, 'dispatched', atMs, unit);
    },
    async confirmReport(caseId, atMs) {
      await run({ type: 'report_confirmed', case: await view(caseId), atMs, actor: { type: 'user', id: 'ops1' } });
    },
  };
  return h;
}

/** Registers a duty unit (default calendar of its tier unless given). */
export async function addUnit(q: Queryable, id: string, tier: 1 | 2 | 3, calendar?: unknown): Promise<void> {
  await q.query(
    `INSERT INTO duty_units (id, name, tier, calendar, created_at, updated_at) VALUES ($1, $2, $3, $4, now(), now())`,
    [id, `单位 ${id}`, tier, JSON.stringify(calendar ?? defaultCalendar(tier))],
  );
}

/**
 * Test parts for the case tests (not used by the service): the real case service and event feed
 * on a fresh database, a fake clock, external sources, and helpers to drive a case along.
 */
import type { Test } from 'tap';
import { pino } from 'pino';
import type { Config } from '../config/schema.js';
import { FakeClock } from '../core/clock.js';
import type { Db } from '../storage/db.js';
import { createEventFeed } from '../events/feed.js';
import type { EventFeed, PlatformEvent } from '../events/types.js';
import { testConfig, testDb } from '../http/test-support.js';
import { createUnit } from '../duty/units.js';
import type { Duty } from '../duty/types.js';
import { harness, type Harness } from '../warnings/test-support.js';
import type { CaseActor, CaseChange, CaseService, CaseStatus, CaseView, NewCaseInput } from './types.js';
import { createCases, type Cases } from './service.js';
import type { Step } from './lifecycle.js';

export const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
export const BLOCK = '310117006001003012';
export const sources: Config['cases']['sources'] = [
  { id: '12345', name: '12345 市民热线', secret: 'hotline-secret-0123456789', category: 'other' },
  { id: '110', name: '110 联动', secret: 'police-secret-0123456789ab', category: 'public_security' },
];
export const opsActor: CaseActor = { type: 'user', id: 'user-ops-1' };

export interface CaseHarness {
  db: Db;
  clock: FakeClock;
  feed: EventFeed;
  cases: Cases;
  config: Config;
  events(types?: string[]): Promise<PlatformEvent[]>;
  /** A manual case; returns its view. */
  open(over?: Partial<NewCaseInput>): Promise<CaseView>;
  /** Moves a case along the given steps (dispatches go to unit u1, tier 1). */
  walk(id: string, steps: readonly Step[]): Promise<CaseView>;
  row(id: string): Promise<Record<string, unknown>>;
}

export async function caseHarness(t: Test, opts: { db?: Db; clock?: FakeClock; feed?: EventFeed; duty?: Pick<Duty, 'log'> } = {}): Promise<CaseHarness> {
  const db = opts.db ?? (await testDb(t));
  const clock = opts.clock ?? new FakeClock(T0);
  const logger = pino({ level: 'silent' });
  const base = testConfig();
  const config: Config = { ...base, cases: { ...base.cases, sources } };
  let feed = opts.feed;
  if (!feed) {
    const own = createEventFeed({ db, clock, logger });
    t.teardown(() => own.close());
    feed = own;
  }
  const cases = createCases({ db, clock, logger, feed, config, ...(opts.duty ? { duty: opts.duty } : {}) });
  const f = feed;
  return {
    db, clock, feed: f, cases, config,
    async events(types) {
      const all = await f.list({ limit: 1000 });
      return types ? all.filter((e) => types.includes(e.type)) : all;
    },
    async open(over = {}) {
      const out = await cases.create({ source: 'manual', category: 'rainstorm', title: '道路积水', blockCode: BLOCK, grade: 'orange', incidentAtMs: clock.now() - 60_000, ...over }, opsActor);
      return out.case;
    },
    async walk(id, steps) {
      let c: CaseView | undefined = await cases.get(id);
      for (const to of steps) {
        clock.advance(60_000);
        c = await cases.transition({ caseId: id, to, actor: { type: 'district', id: 'district' }, ...(to === 'dispatched' ? { unit: { id: 'u1', tier: 1 } } : {}) });
      }
      if (!c) throw new Error(`no case ${id}`);
      return c;
    },
    async row(id) {
      const r = await db.query<Record<string, unknown>>('SELECT * FROM cases WHERE id = $1', [id]);
      if (!r.rows[0]) throw new Error(`no case ${id}`);
      return r.rows[0];
    },
  };
}

/** How to bring a fresh case to each status. */
export const pathTo: Readonly<Record<CaseStatus, readonly Step[]>> = {
  new: [],
  reported: ['reported'],
  dispatched: ['reported', 'dispatched'],
  signed: ['reported', 'dispatched', 'signed'],
  arrived: ['reported', 'dispatched', 'signed', 'arrived'],
  handled: ['reported', 'dispatched', 'signed', 'arrived', 'handled'],
  verified: ['reported', 'dispatched', 'signed', 'arrived', 'handled', 'verified'],
  closed: ['reported', 'dispatched', 'signed', 'arrived', 'handled', 'closed'],
  returned: ['reported', 'dispatched', 'returned'],
  suspended: ['reported', 'suspended'],
};

/** A registered duty unit (tier from the registry wins over a tier given with the dispatch). */
export async function addUnit(db: Db, id: string, tier: 1 | 2 | 3, nowMs: number): Promise<void> {
  await createUnit(db, { id, name: `${id} 抢险队`, tier, contacts: [], blocks: [], kinds: [] }, nowMs);
}

/** The warning service (opening cases at red by policy) and the case service on one database, feed and clock. */
export async function warningCaseHarness(t: Test, hook?: (change: CaseChange) => void | Promise<void>): Promise<{ w: Harness; h: CaseHarness }> {
  const db = await testDb(t);
  const ref: { cases?: CaseService } = {};
  const w = await harness(t, { db, cases: { openAtGrade: 'red' }, caseOpener: { openForWarning: (tx, emit, view, now) => (ref.cases as CaseService).openForWarning(tx, emit, view, now) } });
  const h = await caseHarness(t, { db, clock: w.clock, feed: w.feed, duty: w.duty });
  ref.cases = h.cases;
  if (hook) h.cases.addHook(async (_tx, _emit, change) => hook(change));
  return { w, h };
}

/**
 * Test parts for the warning tests (not used by the service): the real event feed, outbox
 * (enqueue only, no workers) and duty on a fresh database, a fake clock, and builders for
 * rules and engine transitions.
 */
import type { Test } from 'tap';
import { pino } from 'pino';
import type { Config } from '../config/schema.js';
import { FakeClock } from '../core/clock.js';
import { validate } from '../core/schema.js';
import type { Db } from '../storage/db.js';
import { createEventFeed } from '../events/feed.js';
import type { EventFeed, PlatformEvent } from '../events/types.js';
import { createOutbox } from '../outbox/outbox.js';
import { createDuty, type DutyService } from '../duty/callouts.js';
import { testConfig, testDb } from '../http/test-support.js';
import { Rule } from '../../rules/schema.js';
import type { EngineNotice, Transition, VersionedRule } from '../../rules/engine/types.js';
import { createWarningService, type Warnings } from './service.js';
import { getWarning, timeline, type WarningRow } from './repo.js';
import type { CaseOpener } from './types.js';

export const BLOCK = '310117006001003012';
export const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);

export const waterlogging: VersionedRule = {
  version: 3,
  rule: validate(Rule, {
    id: 'waterlogging',
    name: '道路积水',
    category: 'rainstorm',
    condition: { type: 'threshold', metric: 'depth_cm', thresholds: { blue: 15, yellow: 25, orange: 40, red: 50 } },
    grades: {
      yellow: { actions: { notify: ['ops-webhook'] } },
      orange: { actions: { notify: ['ops-webhook', 'sms'], openCase: true } },
      red: { actions: { notify: ['ops-webhook', 'block-broadcast'], openCase: true, picture: true, acknowledge: { deadline: '2m', chain: ['duty_officer', 'head'] } } },
    },
  }, { what: 'test rule' }),
};

/** An engine transition for device `dev` of the waterlogging rule. */
export function transition(dev: string, from: Transition['from'], to: Transition['to'], atMs: number, over: Partial<Transition> = {}): Transition {
  return {
    fingerprint: `waterlogging/${dev}`, ruleId: 'waterlogging', ruleVersion: 3, subject: { type: 'device', id: dev }, deviceId: dev, kind: 'waterlogging',
    blockCode: BLOCK, from, to, atMs, metric: 'depth_cm', value: [0, 16, 27, 42, 55][to] ?? null, state: null,
    reason: `depth_cm ${[0, 16, 27, 42, 55][to]} at grade ${to}`, exercise: false, ...over,
  };
}

export interface Harness {
  db: Db;
  clock: FakeClock;
  service: Warnings;
  duty: DutyService;
  config: Config;
  feed: EventFeed;
  apply(transitions: Transition[], rules?: VersionedRule[]): Promise<void>;
  notice(n: EngineNotice): Promise<void>;
  events(types?: string[]): Promise<PlatformEvent[]>;
  outbox(): Promise<Array<{ channel: string; key: string; payload: Record<string, unknown> }>>;
  warnings(): Promise<WarningRow[]>;
  warning(id: number | string): Promise<WarningRow>;
  timelineTypes(id: number | string): Promise<string[]>;
}

export async function harness(t: Test, opts: { db?: Db; warnings?: Partial<Config['warnings']>; cases?: Partial<Config['cases']>; caseOpener?: CaseOpener } = {}): Promise<Harness> {
  const db = opts.db ?? (await testDb(t));
  const clock = new FakeClock(T0);
  const logger = pino({ level: 'silent' });
  const base = testConfig();
  const config: Config = { ...base, warnings: { ...base.warnings, ...opts.warnings }, cases: { ...base.cases, ...opts.cases } };
  const feed = createEventFeed({ db, clock, logger });
  t.teardown(() => feed.close());
  const outbox = createOutbox({ db, clock, logger, config: config.outbox });
  const duty = createDuty({ db, clock, logger, outbox, feed, config });
  const service = createWarningService({ db, clock, logger, outbox, duty, config, events: feed, ...(opts.caseOpener ? { cases: opts.caseOpener } : {}) });
  duty.onAcknowledged(service.acknowledgedByDuty);
  return {
    db, clock, service, duty, config, feed,
    async apply(transitions, rules = [waterlogging]) {
      const byId = new Map(rules.map((r) => [r.rule.id, r]));
      await feed.transaction((tx, emit) => service.apply(tx, emit, transitions, (id) => byId.get(id), clock.now()));
    },
    async notice(n) {
      await feed.transaction((tx, emit) => service.notice(tx, emit, n, clock.now()));
    },
    async events(types) {
      const all = await feed.list({ limit: 1000 });
      return types ? all.filter((e) => types.includes(e.type)) : all;
    },
    async outbox() {
      const r = await db.query<{ channel: string; key: string; payload: Record<string, unknown> }>(`SELECT channel, idem_key AS key, payload FROM outbox WHERE idem_key LIKE 'warning:%' ORDER BY id`);
      return r.rows;
    },
    async warnings() {
      return (await db.query<WarningRow>('SELECT * FROM warnings ORDER BY id')).rows;
    },
    async warning(id) {
      const w = await getWarning(db, id);
      if (!w) throw new Error(`no warning ${id}`);
      return w;
    },
    async timelineTypes(id) {
      return (await timeline(db, id)).map((e) => e.type);
    },
  };
}

/**
 * Test helpers for the rules runtime and backtests (not used by the service): a migrated
 * database with a few registered devices, the real event feed, and a warning service that
 * records the transitions it is given inside the caller's transaction (a `test_transitions`
 * table), so tests see exactly what committed with the rule states.
 */
import type { Test } from 'tap';
import { pino } from 'pino';
import { FakeClock } from '../core/clock.js';
import { testConfig, testDb } from '../http/test-support.js';
import { adapterLookup } from '../adapters/lookup.js';
import { DeviceRegistry } from '../devices/registry.js';
import type { Db, Queryable } from '../storage/db.js';
import type { EventFeed } from '../events/types.js';
import { createEventFeed } from '../events/feed.js';
import type { WarningService } from '../warnings/types.js';
import type { EngineNotice, Transition } from '../../rules/engine/types.js';
import type { ReadingRow } from '../ingest/record.js';
import type { Rule } from '../../rules/schema.js';
import { RuleStore } from './store.js';
import { createRulesRuntime, type RulesRuntime } from './runtime.js';

export const T0 = Date.UTC(2026, 6, 1, 8, 0, 0);

export interface RulesFixture {
  db: Db;
  clock: FakeClock;
  registry: DeviceRegistry;
  store: RuleStore;
  feed: EventFeed;
  warnings: WarningService & { notices: EngineNotice[] };
  runtime(opts?: { stateChunk?: number }): RulesRuntime;
  /** Committed transitions, in commit order: `fingerprint from→to @ seconds after T0`. */
  transitions(): Promise<string[]>;
}

export async function rulesFixture(t: Test, devices: Array<{ id: string; block?: string; tags?: string[] }> = [{ id: 'wl-1' }, { id: 'wl-2' }]): Promise<RulesFixture> {
  const db = await testDb(t);
  await db.query('CREATE TABLE test_transitions (id serial PRIMARY KEY, fingerprint text, from_level int, to_level int, at_ms bigint, rule_version int)');
  const clock = new FakeClock(T0);
  const logger = pino({ level: 'silent' });
  const config = testConfig();
  const registry = await DeviceRegistry.open({ db, logger, clock, adapters: adapterLookup, devices: config.devices });
  const base = { location: { lon: 121.23, lat: 31.03, crs: 'wgs84' as const }, exercise: false, kind: 'waterlogging' as const, adapter: 'waterlogging-json' };
  for (const d of devices) await registry.create({ ...base, id: d.id, name: d.id, blockCode: d.block ?? '310117006-01-003-012', tags: d.tags ?? [] });
  const store = new RuleStore({ db, clock });
  const feed = createEventFeed({ db, clock, logger });
  const warnings = recordingWarnings();
  const runtimes: RulesRuntime[] = [];
  t.teardown(async () => {
    for (const r of runtimes) await r.stop().catch(() => undefined);
    await feed.close();
  });
  return {
    db,
    clock,
    registry,
    store,
    feed,
    warnings,
    runtime(opts = {}) {
      const r = createRulesRuntime({ db, clock, logger, registry, feed, warnings, store, config: { rules: { ...config.rules, seedDefaults: false } }, ...opts });
      runtimes.push(r);
      return r;
    },
    async transitions() {
      const r = await db.query<{ fingerprint: string; from_level: number; to_level: number; at_ms: number }>('SELECT * FROM test_transitions ORDER BY id');
      return r.rows.map((x) => `${x.fingerprint} ${x.from_level}→${x.to_level} @${(x.at_ms - T0) / 1000}s`);
    },
  };
}

function recordingWarnings(): WarningService & { notices: EngineNotice[] } {
  const notices: EngineNotice[] = [];
  return {
    notices,
    async apply(tx: Queryable, _emit, transitions: readonly Transition[]) {
      for (const x of transitions) {
        await tx.query('INSERT INTO test_transitions (fingerprint, from_level, to_level, at_ms, rule_version) VALUES ($1, $2, $3, $4, $5)', [x.fingerprint, x.from, x.to, x.atMs, x.ruleVersion]);
      }
    },
    async notice(_tx, _emit, n) {
      notices.push(n);
    },
  };
}

/** A waterlogging depth rule: 15 / 25 / 40 / 50 cm, held 60 s, cleared after 120 s below by 2 cm. */
export function depthRule(over: Partial<Rule> & { id: string }): Record<string, unknown> {
  return {
    name: `depth ${over.id}`,
    scope: { kinds: ['waterlogging'] },
    condition: { type: 'threshold', metric: 'depth_cm', thresholds: { blue: 15, yellow: 25, orange: 40, red: 50 } },
    for: '60s',
    grades: { red: { for: '0s' } },
    clear: { hysteresis: 2, clearFor: '120s' },
    ...over,
  };
}

export function depth(deviceId: string, atMs: number, value: number): ReadingRow {
  return { deviceId, metric: 'depth_cm', timeUs: atMs * 1000, value, state: null, seq: null };
}

export const who = { name: 'zhang', reason: 'test' };

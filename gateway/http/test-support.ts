/**
 * Test helpers for the HTTP API tests (not used by the service): a migrated fresh database
 * and an app on it, torn down with the test.
 */
import type { Test } from 'tap';
import { pino } from 'pino';
import { ConfigSchema, type Config } from '../config/schema.js';
import { FakeClock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { validate } from '../core/schema.js';
import type { Db } from '../storage/db.js';
import { migrate } from '../storage/migrate.js';
import { openPg } from '../storage/pg-driver.js';
import { createMetrics, type GatewayMetrics } from '../metrics/registry.js';
import { freshDatabase } from '../../test/helpers/postgres.js';
import { buildApp, type AppContext, type Area, type GatewayApp } from './app.js';
import type { ReadinessCheck } from './health.js';

export const testAdminToken = 'test-bootstrap-admin-token-0123456789';

export function testConfig(overrides: Partial<Config['http']> = {}): Config {
  const config = validate(ConfigSchema, {}, { what: 'test configuration' });
  return { ...config, http: { ...config.http, ...overrides } };
}

/** A logger that keeps every line in memory, to assert on what was (not) logged. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}

export async function testDb(t: Test): Promise<Db> {
  const fresh = await freshDatabase();
  const logger = pino({ level: 'silent' });
  const db = await openPg({ url: fresh.url, poolSize: 4, logger });
  t.teardown(async () => {
    await db.close();
    await fresh.drop();
  });
  await migrate(db, logger);
  return db;
}

export interface TestApp {
  app: GatewayApp;
  db: Db;
  clock: FakeClock;
  metrics: GatewayMetrics;
  lines: string[];
}

export interface TestAppOptions {
  db?: Db;
  areas?: Area[];
  readiness?: Record<string, ReadinessCheck>;
  config?: Config;
  /** Called after buildApp and before ready(), to add routes the way a late caller would. */
  extend?: (app: GatewayApp) => void;
}

export async function testApp(t: Test, opts: TestAppOptions = {}): Promise<TestApp> {
  const db = opts.db ?? (await testDb(t));
  const clock = new FakeClock();
  const metrics = createMetrics();
  const { logger, lines } = memoryLogger();
  const ctx: AppContext = {
    config: opts.config ?? testConfig(),
    logger,
    db,
    clock,
    metrics,
    readiness: opts.readiness ?? { database: () => db.ping(), broker: () => true },
    areas: opts.areas ?? [],
    adminToken: testAdminToken,
  };
  const app = buildApp(ctx);
  opts.extend?.(app);
  t.teardown(async () => {
    await app.close();
    metrics.close();
  });
  await app.ready();
  return { app, db, clock, metrics, lines };
}

export const asAdmin = { authorization: `Bearer ${testAdminToken}` };
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Creates a user through the API (as the bootstrap admin) and logs it in; returns its id and session token. */
export async function userSession(
  app: GatewayApp,
  user: { username: string; role: string; vendor?: string; password?: string },
): Promise<{ id: string; token: string }> {
  const password = user.password ?? 'correct horse battery';
  const created = await app.inject({ method: 'POST', url: '/api/v1/users', headers: asAdmin, payload: { displayName: user.username, password, ...user } });
  if (created.statusCode !== 201) throw new Error(`creating ${user.username}: ${created.statusCode} ${created.body}`);
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password } });
  if (login.statusCode !== 200) throw new Error(`logging in ${user.username}: ${login.statusCode} ${login.body}`);
  return { id: created.json<{ id: string }>().id, token: login.json<{ token: string }>().token };
}

/** Creates an API key through the API with the given credentials; returns the key and its id. */
export async function apiKey(
  app: GatewayApp,
  body: { name?: string; role: string; vendor?: string; platform?: string; expiresAt?: string },
  headers: Record<string, string> = asAdmin,
): Promise<{ id: string; key: string }> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers, payload: { name: `${body.role} key`, ...body } });
  if (r.statusCode !== 201) throw new Error(`creating key: ${r.statusCode} ${r.body}`);
  const out = r.json<{ key: string; apiKey: { id: string } }>();
  return { id: out.apiKey.id, key: out.key };
}

/**
 * Test parts for the external-warning tests (not used by the service): the fixtures, and the
 * service with its HTTP routes on the real warning, duty, outbox and event-feed parts of a
 * fresh database, app and service clocks moved together.
 */
import { readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { pino } from 'pino';
import { createOutbox } from '../outbox/outbox.js';
import { apiKey, asAdmin, bearer, testApp, userSession } from '../http/test-support.js';
import { harness, type Harness } from '../warnings/test-support.js';
import type { Config } from '../config/schema.js';
import { warningRoutes } from '../warnings/routes.js';
import { createExternalWarnings, type ExternalWarnings } from './service.js';
import { externalWarningRoutes } from './routes.js';

export const fixture = (name: 'rainstorm-orange' | 'rainstorm-update-red' | 'rainstorm-cancel'): string =>
  readFileSync(new URL(`./fixtures/${name}.xml`, import.meta.url), 'utf8');

/** 2024-07-01 08:31 +08:00: a minute after the fixture Alert was sent, before it expires. */
export const NOW = Date.parse('2024-07-01T08:31:00+08:00');

export interface ExternalSetup {
  h: Harness;
  service: ExternalWarnings;
  advance(ms: number): void;
  tokens: { ops: string; platform: string; viewer: string; vendor: string; district: string };
  post(xml: string | Buffer, opts?: { token?: string; contentType?: string }): Promise<{ status: number; body: Record<string, unknown>; error: { code?: string; message?: string } }>;
  get(url: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  counts(): Promise<{ external: number; warnings: number }>;
}

export async function externalSetup(t: Test, opts: { notify?: string[] } = {}): Promise<ExternalSetup> {
  const h = await harness(t);
  h.clock.advance(NOW - h.clock.now());
  const logger = pino({ level: 'silent' });
  const config: Pick<Config, 'externalWarnings'> = { externalWarnings: { ...h.config.externalWarnings, notify: opts.notify ?? [] } };
  const outbox = createOutbox({ db: h.db, clock: h.clock, logger, config: h.config.outbox });
  const service = createExternalWarnings({ db: h.db, clock: h.clock, logger, events: h.feed, warnings: h.service, outbox, config });
  t.teardown(() => service.stop());
  const { app, clock } = await testApp(t, {
    db: h.db,
    areas: [{ prefix: '/external-warnings', plugin: externalWarningRoutes(service) }, { prefix: '/warnings', plugin: warningRoutes(h.service) }],
  });
  clock.advance(NOW - clock.now());
  const tokens = {
    ops: (await userSession(app, { username: 'zhang', role: 'ops' })).token,
    viewer: (await userSession(app, { username: 'li', role: 'viewer' })).token,
    vendor: (await userSession(app, { username: 'acme', role: 'vendor', vendor: 'acme' })).token,
    district: (await userSession(app, { username: 'qu', role: 'district' })).token,
    platform: (await apiKey(app, { name: 'cma-feed', role: 'platform', platform: 'cma' })).key,
  };
  return {
    h, service, tokens,
    advance(ms) {
      h.clock.advance(ms);
      clock.advance(ms);
    },
    async post(xml, o = {}) {
      const r = await app.inject({
        method: 'POST', url: '/api/v1/external-warnings',
        headers: { ...(o.token ? bearer(o.token) : bearer(tokens.platform)), 'content-type': o.contentType ?? 'application/cap+xml' },
        payload: xml,
      });
      const body = r.json<Record<string, unknown>>();
      return { status: r.statusCode, body, error: (body['error'] ?? {}) as { code?: string; message?: string } };
    },
    async get(url, token) {
      const r = await app.inject({ method: 'GET', url: `/api/v1${url}`, headers: token ? bearer(token) : asAdmin });
      return { status: r.statusCode, body: r.json() };
    },
    async counts() {
      const r = await h.db.query<{ external: number; warnings: number }>('SELECT (SELECT count(*) FROM external_warnings) AS external, (SELECT count(*) FROM warnings) AS warnings');
      return r.rows[0] ?? { external: 0, warnings: 0 };
    },
  };
}

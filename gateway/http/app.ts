import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db } from '../storage/db.js';
import type { GatewayMetrics } from '../metrics/registry.js';
import { installRequestMetrics, metricsRoutes } from '../metrics/routes.js';
import { createAudit, type Audit } from '../audit/audit.js';
import { auditRoutes } from '../audit/routes.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { installAuth } from '../auth/guard.js';
import { keyRoutes } from '../auth/routes-keys.js';
import { sessionRoutes } from '../auth/routes-session.js';
import { userRoutes } from '../auth/routes-users.js';
import { docsPrefix, registerDocs } from './docs.js';
import { documentErrors, installErrorHandling } from './errors.js';
import { healthRoutes, type ReadinessCheck } from './health.js';

export const apiPrefix = '/api/v1';

/** What every area plugin receives as options: the shared services, never each other's internals. */
export interface AppServices {
  config: Config;
  logger: Logger;
  db: Db;
  clock: Clock;
  metrics: GatewayMetrics;
  audit: Audit;
}
export interface AreaOptions {
  services: AppServices;
}
/** An area (devices, adapters, ingest, readings, ...): one encapsulated plugin. Its own dependencies come from the closure that builds it. */
export type AreaPlugin = FastifyPluginAsyncTypebox<AreaOptions>;
export interface Area {
  /** Below /api/v1, e.g. `/devices`. */
  prefix: string;
  plugin: AreaPlugin;
}

export interface AppContext {
  config: Config;
  logger: Logger;
  db: Db;
  clock: Clock;
  /** One registry per app instance (createMetrics); the caller owns it and closes it. */
  metrics: GatewayMetrics;
  /** Parts /readyz waits for, e.g. `{ database: () => db.ping(), broker: () => broker.ready }`. */
  readiness: Readonly<Record<string, ReadinessCheck>>;
  areas?: readonly Area[];
  /** The bootstrap admin token from ensureAdminToken(); defaults to config.auth.adminToken (empty: none accepted). */
  adminToken?: string;
  /** Lifetime of a login session; default 12 hours. */
  sessionTtlMs?: number;
}

export type GatewayApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The Fastify app, not listening: the service calls `listen`, tests call `inject`. Returned
 * before `ready()` so a caller may still add plugins; every route, however added, must
 * declare its access rule (gateway/auth/guard.ts).
 */
export function buildApp(ctx: AppContext): GatewayApp {
  const app = Fastify({
    loggerInstance: componentLogger(ctx.logger, 'http') as FastifyBaseLogger,
    bodyLimit: ctx.config.http.bodyLimit,
    // One line per request at info would drown the log of a busy ingest endpoint; the request
    // metrics histogram counts them, and errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // close() also ends keep-alive connections, so a stop does not wait out keepAliveTimeout.
    forceCloseConnections: true,
    // Keep a caller's request id (a proxy or a district system correlating logs) when it is sane.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    // Unknown properties are errors, not silently dropped: a typo in a rule or device must not pass.
    ajv: { customOptions: { removeAdditional: false } },
    // Collection routes are declared as '' under their prefix (`/api/v1/users`); a trailing slash still reaches them.
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const root = app as unknown as FastifyInstance;

  // Order matters: these hooks must exist before any route is added.
  installErrorHandling(root, { bodyLimit: ctx.config.http.bodyLimit });
  installAuth(root, {
    authenticate: createAuthenticator({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, adminToken: ctx.adminToken ?? ctx.config.auth.adminToken }),
    publicPrefixes: [docsPrefix],
  });
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });
  documentErrors(root);
  installRequestMetrics(root, ctx.metrics);
  registerDocs(root);

  const audit = createAudit({ clock: ctx.clock });
  const services: AppServices = { config: ctx.config, logger: ctx.logger, db: ctx.db, clock: ctx.clock, metrics: ctx.metrics, audit };
  const { db, clock } = ctx;

  void app.register(healthRoutes, { readiness: ctx.readiness, clock });
  void app.register(metricsRoutes, { metrics: ctx.metrics });
  void app.register(
    async (api) => {
      await api.register(sessionRoutes, { prefix: '/auth', db, clock, audit, sessionTtlMs: ctx.sessionTtlMs ?? 12 * 3600 * 1000 });
      await api.register(userRoutes, { prefix: '/users', db, clock, audit });
      await api.register(keyRoutes, { prefix: '/api-keys', db, clock, audit });
      await api.register(auditRoutes, { prefix: '/audit', db });
      for (const area of ctx.areas ?? []) await api.register(area.plugin, { prefix: area.prefix, services });
    },
    { prefix: apiPrefix },
  );
  return app;
}

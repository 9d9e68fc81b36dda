import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { GatewayError } from '../core/errors.js';
import type { Authenticator } from './authenticate.js';
import { allRoles, roleAllowed, type Principal, type Role, type RouteAuth } from './roles.js';

/**
 * Deny by default. `installAuth` is called on the root instance before anything else is
 * registered, so its onRoute hook sees every route of every plugin: a route without
 * `config.auth` makes registration (and so app start) fail, and no later route can forget.
 * It is installed directly, not as a plugin, so even routes added on the root right after
 * buildApp returns are covered.
 */
export interface AuthGuardOptions {
  authenticate: Authenticator;
  /** URL prefixes served by third-party plugins that cannot declare config (the swagger UI). */
  publicPrefixes: readonly string[];
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** The caller of a request, or undefined on a public route (or an anonymous loopback scrape). */
export function principalOf(req: FastifyRequest): Principal | undefined {
  return principals.get(req);
}

export const securityRequirement = [{ bearerAuth: [] }, { apiKeyAuth: [] }] as const;

export function installAuth(app: FastifyInstance, opts: AuthGuardOptions): void {
  app.addHook('onRoute', (route) => {
    const auth = declaredAuth(route, opts.publicPrefixes);
    const schema = (route.schema ??= {});
    // OpenAPI: public routes need no credentials; others list the roles they admit.
    if (auth === 'public') {
      schema.security = [];
    } else {
      schema.security ??= securityRequirement;
      const rolesText = `Roles: ${rolesList(auth.roles)}.`;
      // HEAD routes share the GET route's schema object: add the text once.
      if (!schema.description?.includes(rolesText)) schema.description = schema.description ? `${schema.description}\n\n${rolesText}` : rolesText;
    }
  });

  app.decorateRequest('principal', {
    getter(this: FastifyRequest): Principal {
      const p = principals.get(this);
      if (!p) throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'this request carries no authenticated principal');
      return p;
    },
  });

  app.addHook('onRequest', async (req) => {
    if (req.is404) return;
    const auth = req.routeOptions.config.auth;
    if (auth === 'public') return;
    if (auth === undefined) throw new GatewayError('GW_ERR_FORBIDDEN', 'this route declares no access rule'); // unreachable: onRoute refuses such routes
    const principal = await opts.authenticate(req.headers);
    if (!principal) {
      if (auth.anonymousFromLoopback && fromLoopbackDirectly(req)) return;
      throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'authentication required: send "Authorization: Bearer <token or API key>" or "X-API-Key: <key>"');
    }
    if (!roleAllowed(principal, auth.roles)) {
      throw new GatewayError('GW_ERR_FORBIDDEN', `role ${principal.role} may not call ${req.method} ${req.routeOptions.url ?? req.url} (allowed: ${rolesList(auth.roles)})`);
    }
    principals.set(req, principal);
    req.log = req.log.child({ principal: `${principal.kind}:${principal.id}`, role: principal.role });
  });
}

function declaredAuth(route: RouteOptions, publicPrefixes: readonly string[]): RouteAuth {
  let auth = route.config?.auth;
  if (auth === undefined && publicPrefixes.some((p) => route.url === p || route.url.startsWith(`${p}/`))) {
    auth = 'public';
    route.config = { ...route.config, auth };
  }
  const where = `${String(route.method)} ${route.url}`;
  if (auth === undefined) {
    throw new Error(`route ${where} declares no access rule: add \`config: roles(...)\` or \`config: publicRoute\` (gateway/auth/roles.ts)`);
  }
  if (auth !== 'public') {
    if (!Array.isArray(auth.roles) || auth.roles.length === 0) throw new Error(`route ${where}: config.auth.roles is empty`);
    const unknown = auth.roles.filter((r) => !allRoles.includes(r));
    if (unknown.length > 0) throw new Error(`route ${where}: unknown roles ${unknown.join(', ')}`);
  }
  return auth;
}

function rolesList(roles: readonly Role[]): string {
  return ['admin', ...roles.filter((r) => r !== 'admin')].join(', ');
}

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** A caller on this host, not relayed by a reverse proxy (which would itself connect from loopback). */
function fromLoopbackDirectly(req: FastifyRequest): boolean {
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined) return false;
  return loopback.has(req.socket.remoteAddress ?? '');
}

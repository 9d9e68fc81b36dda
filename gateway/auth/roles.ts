import { Type, type Static } from 'typebox';
import { GatewayError } from '../core/errors.js';

/**
 * Who may call what. Every route declares `config: roles(...)` or `config: publicRoute`; the
 * auth plugin refuses to start an app with a route that declares neither (deny by default).
 * `admin` passes every role check, so route authors list only the other roles.
 */
export const allRoles = ['admin', 'ops', 'vendor', 'district', 'viewer', 'platform'] as const;
export type Role = (typeof allRoles)[number];

/** Roles a person can log in with; `platform` exists only for platform-to-platform API keys. */
export const userRoles = ['admin', 'ops', 'vendor', 'district', 'viewer'] as const satisfies readonly Role[];
export type UserRole = (typeof userRoles)[number];

export const RoleSchema = Type.Enum(allRoles);
export const UserRoleSchema = Type.Enum(userRoles);

export const PrincipalSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('user'), Type.Literal('apikey'), Type.Literal('bootstrap')]),
    id: Type.String({ description: 'User id, API key id, or `bootstrap`.' }),
    name: Type.String({ description: 'Username or API key name.' }),
    role: RoleSchema,
    vendor: Type.Optional(Type.String({ description: 'Set for the vendor role: the vendor whose devices it may touch.' })),
    platform: Type.Optional(Type.String({ description: 'Set for the platform role: the platform id (e.g. ctwing) the key pushes for.' })),
  },
  { additionalProperties: false },
);
/** The authenticated caller of a request. */
export type Principal = Static<typeof PrincipalSchema>;

export interface RoleAuth {
  roles: readonly Role[];
  /** Also admit callers without credentials that connect from loopback without a proxy header (a local Prometheus). */
  anonymousFromLoopback?: boolean;
}
export type RouteAuth = 'public' | RoleAuth;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route; see gateway/auth/roles.ts. */
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** The caller; throws GW_ERR_UNAUTHENTICATED when read on a public route without credentials. */
    readonly principal: Principal;
  }
}

/** Route config for callers holding one of these roles (admin always passes). */
export function roles(...allowed: Role[]): { auth: RoleAuth } {
  if (allowed.length === 0) throw new Error('roles() needs at least one role');
  return { auth: { roles: allowed } };
}

/** Route config for anyone holding valid credentials, whatever the role. */
export function anyRole(): { auth: RoleAuth } {
  return { auth: { roles: allRoles } };
}

/** Route config for routes without authentication: health, readiness, docs and login only. */
export const publicRoute: { auth: 'public' } = { auth: 'public' };

export function roleAllowed(principal: Principal, allowed: readonly Role[]): boolean {
  return principal.role === 'admin' || allowed.includes(principal.role);
}

/**
 * A vendor principal may only touch resources its vendor owns; other roles are limited by the
 * route's role list alone. Throws GW_ERR_FORBIDDEN.
 */
export function assertVendorAccess(principal: Principal, resourceVendor: string | null | undefined): void {
  if (principal.role !== 'vendor') return;
  if (!principal.vendor || principal.vendor !== resourceVendor) {
    throw new GatewayError('GW_ERR_FORBIDDEN', 'this resource belongs to another vendor');
  }
}

/** For list queries: the vendor to filter by, or undefined when the caller may see all vendors. */
export function vendorScope(principal: Principal): string | undefined {
  if (principal.role !== 'vendor') return undefined;
  if (!principal.vendor) throw new GatewayError('GW_ERR_FORBIDDEN', 'vendor credentials without a vendor');
  return principal.vendor;
}

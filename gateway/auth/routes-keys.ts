import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Audit } from '../audit/audit.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { Db } from '../storage/db.js';
import { allRoles, roles, type Principal, type Role } from './roles.js';
import { ApiKey, CreateApiKey, CreatedApiKey, IdParams } from './schemas.js';
import { apiKeyPrefix, displayPrefix, newSecret, sha256Hex } from './secrets.js';
import { getKey, getUser, insertKey, listKeys, revokeKey } from './store.js';

export interface KeyRoutesOptions {
  db: Db;
  clock: Clock;
  audit: Audit;
}

/**
 * Which key roles a caller may create, list and revoke. Ops onboards vendors, platforms and the
 * district, so it manages those keys; keys that could act as admin or ops are for admins only.
 */
export function manageableRoles(p: Principal): readonly Role[] {
  if (p.role === 'admin') return allRoles;
  if (p.role === 'ops') return ['vendor', 'platform', 'district', 'viewer'];
  return [];
}

/** `/api-keys`: keys for machines (vendor systems, platforms, the district, dashboards). */
export const keyRoutes: FastifyPluginAsyncTypebox<KeyRoutesOptions> = async (app, opts) => {
  const { db, clock, audit } = opts;
  const config = roles('ops');
  const tags = ['api keys'];

  app.get('', { config, schema: { summary: 'List API keys (never the keys themselves)', tags, response: { 200: Type.Array(ApiKey) } } }, async (req) =>
    listKeys(db, { roles: manageableRoles(req.principal) }),
  );

  app.post('', { config, schema: { summary: 'Create an API key; the response shows the key once', tags, body: CreateApiKey, response: { 201: CreatedApiKey } } }, async (req, reply) => {
    const b = req.body;
    assertManageable(req.principal, b.role);
    if ((b.role === 'vendor') !== (b.vendor !== undefined)) {
      throw new GatewayError('GW_ERR_VALIDATION', 'a vendor key needs a vendor, and only a vendor key has one', [{ field: '/vendor', message: b.role === 'vendor' ? 'is required for role vendor' : 'must be absent unless role is vendor' }]);
    }
    if ((b.role === 'platform') !== (b.platform !== undefined)) {
      throw new GatewayError('GW_ERR_VALIDATION', 'a platform key needs a platform id, and only a platform key has one', [{ field: '/platform', message: b.role === 'platform' ? 'is required for role platform' : 'must be absent unless role is platform' }]);
    }
    const now = clock.now();
    if (b.expiresAt !== undefined && Date.parse(b.expiresAt) <= now) {
      throw new GatewayError('GW_ERR_VALIDATION', 'expiresAt is in the past', [{ field: '/expiresAt', message: 'must be in the future' }]);
    }
    const key = newSecret(apiKeyPrefix);
    const apiKey: ApiKey = {
      id: randomUUID(),
      name: b.name,
      prefix: displayPrefix(key),
      role: b.role,
      vendor: b.vendor ?? null,
      platform: b.platform ?? null,
      ownerUser: b.ownerUser ?? (req.principal.kind === 'user' ? req.principal.id : null),
      createdBy: `${req.principal.kind}:${req.principal.id}`,
      createdAt: new Date(now).toISOString(),
      lastUsedAt: null,
      expiresAt: b.expiresAt !== undefined ? new Date(b.expiresAt).toISOString() : null,
      revokedAt: null,
    };
    await db.transaction(async (tx) => {
      if (apiKey.ownerUser !== null && !(await getUser(tx, apiKey.ownerUser))) {
        throw new GatewayError('GW_ERR_VALIDATION', `no user with id ${apiKey.ownerUser}`, [{ field: '/ownerUser', message: 'must be an existing user id' }]);
      }
      await insertKey(tx, { ...apiKey, keyHash: sha256Hex(key) });
      await audit.record(tx, req, { action: 'api_key.create', target: { type: 'api_key', id: apiKey.id }, after: apiKey });
    });
    return reply.code(201).send({ key, apiKey });
  });

  app.delete('/:id', { config, schema: { summary: 'Revoke an API key (it stops working at once; the row stays for the audit trail)', tags, params: IdParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    await db.transaction(async (tx) => {
      const before = await getKey(tx, req.params.id, { forUpdate: true });
      if (!before) throw new GatewayError('GW_ERR_NOT_FOUND', `no API key with id ${req.params.id}`);
      assertManageable(req.principal, before.role);
      if (before.revokedAt !== null) return; // revoking twice changes nothing
      const revokedAt = new Date(clock.now());
      await revokeKey(tx, before.id, revokedAt);
      await audit.record(tx, req, { action: 'api_key.revoke', target: { type: 'api_key', id: before.id }, before, after: { ...before, revokedAt: revokedAt.toISOString() } });
    });
    return reply.code(204).send(null);
  });
};

function assertManageable(p: Principal, role: Role): void {
  if (!manageableRoles(p).includes(role)) throw new GatewayError('GW_ERR_FORBIDDEN', `role ${p.role} may not manage API keys with role ${role}`);
}

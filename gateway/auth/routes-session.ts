import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Audit } from '../audit/audit.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { Db } from '../storage/db.js';
import { credentialOf } from './authenticate.js';
import { anyRole, PrincipalSchema, publicRoute, type Principal } from './roles.js';
import { Login, Session } from './schemas.js';
import { decoyHash, newSecret, sessionPrefix, sha256Hex, verifyPassword } from './secrets.js';
import { deleteExpiredSessions, deleteSession, findUserByUsername, insertSession, publicUser } from './store.js';

export interface SessionRoutesOptions {
  db: Db;
  clock: Clock;
  audit: Audit;
  sessionTtlMs: number;
}

/** `/auth`: log in for a bearer session token, log out, and ask who you are. */
export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRoutesOptions> = async (app, opts) => {
  const { db, clock, audit } = opts;

  app.post(
    '/login',
    { config: publicRoute, schema: { summary: 'Log in with username and password', tags: ['auth'], body: Login, response: { 200: Session } } },
    async (req) => {
      const user = await findUserByUsername(db, req.body.username);
      // Verify against a decoy when the user is unknown, so timing does not reveal which usernames exist.
      const ok = await verifyPassword(req.body.password, user?.passwordHash ?? (await decoyHash()));
      if (!user || !ok || user.disabled) {
        req.log.info('login refused');
        throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'wrong username or password, or the account is disabled');
      }
      const token = newSecret(sessionPrefix);
      const now = clock.now();
      const expiresAt = new Date(now + opts.sessionTtlMs);
      const principal: Principal = { kind: 'user', id: user.id, name: user.username, role: user.role, ...(user.vendor ? { vendor: user.vendor } : {}) };
      await db.transaction(async (tx) => {
        await deleteExpiredSessions(tx, new Date(now));
        await insertSession(tx, { tokenHash: sha256Hex(token), userId: user.id, createdAt: new Date(now), expiresAt, sourceIp: req.ip });
        await audit.record(tx, { principal, requestId: req.id, sourceIp: req.ip }, { action: 'auth.login', target: { type: 'user', id: user.id } });
      });
      return { token, expiresAt: expiresAt.toISOString(), user: publicUser(user) };
    },
  );

  app.post(
    '/logout',
    { config: anyRole(), schema: { summary: 'End the session of the bearer token (API keys are revoked instead)', tags: ['auth'], response: { 204: Type.Null() } } },
    async (req, reply) => {
      const credential = credentialOf(req.headers);
      if (req.principal.kind === 'user' && credential?.startsWith(sessionPrefix)) {
        await db.transaction(async (tx) => {
          await deleteSession(tx, sha256Hex(credential));
          await audit.record(tx, req, { action: 'auth.logout', target: { type: 'user', id: req.principal.id } });
        });
      }
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me',
    { config: anyRole(), schema: { summary: 'Who the credentials belong to', tags: ['auth'], response: { 200: PrincipalSchema } } },
    async (req) => req.principal,
  );
};

import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Audit } from '../audit/audit.js';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { Db } from '../storage/db.js';
import { roles } from './roles.js';
import { CreateUser, IdParams, UpdateUser, User } from './schemas.js';
import { hashPassword } from './secrets.js';
import { deleteUser, findUserByUsername, getUser, insertUser, listUsers, publicUser, saveUser, type StoredUser } from './store.js';

export interface UserRoutesOptions {
  db: Db;
  clock: Clock;
  audit: Audit;
}

/** `/users`: people who log in. Admin only. */
export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, opts) => {
  const { db, clock, audit } = opts;
  const admin = roles('admin');
  const tags = ['users'];

  app.get('', { config: admin, schema: { summary: 'List users', tags, response: { 200: Type.Array(User) } } }, async () =>
    (await listUsers(db)).map(publicUser),
  );

  app.get('/:id', { config: admin, schema: { summary: 'Get a user', tags, params: IdParams, response: { 200: User } } }, async (req) =>
    publicUser(await mustGet(db, req.params.id)),
  );

  app.post('', { config: admin, schema: { summary: 'Create a user', tags, body: CreateUser, response: { 201: User } } }, async (req, reply) => {
    const b = req.body;
    const vendor = checkVendor(b.role, b.vendor ?? null);
    const now = new Date(clock.now()).toISOString();
    const user: StoredUser = {
      id: randomUUID(), username: b.username, displayName: b.displayName, role: b.role, vendor,
      disabled: false, createdAt: now, updatedAt: now, passwordHash: await hashPassword(b.password),
    };
    await db.transaction(async (tx) => {
      if (await findUserByUsername(tx, b.username)) throw new GatewayError('GW_ERR_CONFLICT', `a user named "${b.username}" already exists`);
      await insertUser(tx, user).catch(conflictOnDuplicate(b.username));
      await audit.record(tx, req, { action: 'user.create', target: { type: 'user', id: user.id }, after: publicUser(user) });
    });
    return reply.code(201).send(publicUser(user));
  });

  app.patch('/:id', { config: admin, schema: { summary: 'Change a user (role, name, password, disabled)', tags, params: IdParams, body: UpdateUser, response: { 200: User } } }, async (req) => {
    const b = req.body;
    const passwordHash = b.password !== undefined ? await hashPassword(b.password) : undefined;
    return db.transaction(async (tx) => {
      const before = await mustGet(tx, req.params.id, true);
      const role = b.role ?? before.role;
      // Leaving the vendor role drops the vendor unless one is given (which checkVendor then refuses).
      const vendor = checkVendor(role, b.vendor !== undefined ? b.vendor : role === 'vendor' ? before.vendor : null);
      const after: StoredUser = {
        ...before, role, vendor,
        displayName: b.displayName ?? before.displayName,
        disabled: b.disabled ?? before.disabled,
        passwordHash: passwordHash ?? before.passwordHash,
        updatedAt: new Date(clock.now()).toISOString(),
      };
      await saveUser(tx, after);
      // A new password ends every session opened with the old one.
      if (passwordHash !== undefined) await tx.query('DELETE FROM sessions WHERE user_id = $1', [after.id]);
      await audit.record(tx, req, { action: 'user.update', target: { type: 'user', id: after.id }, before: publicUser(before), after: { ...publicUser(after), passwordChanged: passwordHash !== undefined } });
      return publicUser(after);
    });
  });

  app.delete('/:id', { config: admin, schema: { summary: 'Delete a user (its sessions end; its API keys stay, without owner)', tags, params: IdParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    await db.transaction(async (tx) => {
      const before = await mustGet(tx, req.params.id, true);
      await deleteUser(tx, before.id);
      await audit.record(tx, req, { action: 'user.delete', target: { type: 'user', id: before.id }, before: publicUser(before) });
    });
    return reply.code(204).send(null);
  });
};

async function mustGet(q: Parameters<typeof getUser>[0], id: string, forUpdate = false): Promise<StoredUser> {
  const u = await getUser(q, id, { forUpdate });
  if (!u) throw new GatewayError('GW_ERR_NOT_FOUND', `no user with id ${id}`);
  return u;
}

/** The vendor role needs a vendor; the other roles must not have one. */
export function checkVendor(role: string, vendor: string | null): string | null {
  if (role === 'vendor' && !vendor) throw new GatewayError('GW_ERR_VALIDATION', 'the vendor role needs a vendor', [{ field: '/vendor', message: 'is required for role vendor' }]);
  if (role !== 'vendor' && vendor) throw new GatewayError('GW_ERR_VALIDATION', `only the vendor role has a vendor (role is ${role})`, [{ field: '/vendor', message: 'must be absent unless role is vendor' }]);
  return vendor;
}

/** Two concurrent creates of the same username: the unique index decides, and the loser gets a 409. */
function conflictOnDuplicate(username: string) {
  return (e: unknown): never => {
    if ((e as { code?: string }).code === '23505') throw new GatewayError('GW_ERR_CONFLICT', `a user named "${username}" already exists`);
    throw e;
  };
}

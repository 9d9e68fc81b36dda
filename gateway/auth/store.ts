import type { Queryable } from '../storage/db.js';
import type { Principal, Role, UserRole } from './roles.js';
import type { ApiKey, User } from './schemas.js';

/** SQL for users, sessions and API keys. Every function takes a Queryable so callers choose the transaction. */

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: UserRole;
  vendor: string | null;
  password_hash: string;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface StoredUser extends User {
  passwordHash: string;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toUser(r: UserRow): StoredUser {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    vendor: r.vendor,
    disabled: r.disabled,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    passwordHash: r.password_hash,
  };
}

/** The user without its password hash, for responses and audit records. */
export function publicUser(u: StoredUser): User {
  const { passwordHash: _omit, ...rest } = u;
  return rest;
}

export async function insertUser(q: Queryable, u: StoredUser): Promise<void> {
  await q.query(
    `INSERT INTO users (id, username, display_name, role, vendor, password_hash, disabled, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [u.id, u.username, u.displayName, u.role, u.vendor, u.passwordHash, u.disabled, u.createdAt, u.updatedAt],
  );
}

export async function getUser(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<StoredUser | undefined> {
  const r = await q.query<UserRow>(`SELECT * FROM users WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] && toUser(r.rows[0]);
}

export async function findUserByUsername(q: Queryable, username: string): Promise<StoredUser | undefined> {
  const r = await q.query<UserRow>('SELECT * FROM users WHERE lower(username) = lower($1)', [username]);
  return r.rows[0] && toUser(r.rows[0]);
}

export async function listUsers(q: Queryable): Promise<StoredUser[]> {
  return (await q.query<UserRow>('SELECT * FROM users ORDER BY lower(username)')).rows.map(toUser);
}

export async function saveUser(q: Queryable, u: StoredUser): Promise<void> {
  await q.query(
    `UPDATE users SET display_name = $2, role = $3, vendor = $4, password_hash = $5, disabled = $6, updated_at = $7 WHERE id = $1`,
    [u.id, u.displayName, u.role, u.vendor, u.passwordHash, u.disabled, u.updatedAt],
  );
}

export async function deleteUser(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM users WHERE id = $1', [id]);
}

// ---- sessions ----

export async function insertSession(q: Queryable, s: { tokenHash: string; userId: string; createdAt: Date; expiresAt: Date; sourceIp: string }): Promise<void> {
  await q.query('INSERT INTO sessions (token_hash, user_id, created_at, expires_at, source_ip) VALUES ($1, $2, $3, $4, $5)', [
    s.tokenHash, s.userId, s.createdAt, s.expiresAt, s.sourceIp,
  ]);
}

/** The principal of a live session of an enabled user, if any. */
export async function sessionPrincipal(q: Queryable, tokenHash: string, now: Date): Promise<Principal | undefined> {
  const r = await q.query<{ id: string; username: string; role: UserRole; vendor: string | null }>(
    `SELECT u.id, u.username, u.role, u.vendor FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled`,
    [tokenHash, now],
  );
  const u = r.rows[0];
  if (!u) return undefined;
  return { kind: 'user', id: u.id, name: u.username, role: u.role, ...(u.vendor ? { vendor: u.vendor } : {}) };
}

export async function deleteSession(q: Queryable, tokenHash: string): Promise<void> {
  await q.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
}

export async function deleteExpiredSessions(q: Queryable, now: Date): Promise<number> {
  return (await q.query('DELETE FROM sessions WHERE expires_at <= $1', [now])).rowCount;
}

// ---- API keys ----

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  vendor: string | null;
  platform: string | null;
  owner_user: string | null;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const keyColumns = 'id, name, prefix, role, vendor, platform, owner_user, created_by, created_at, last_used_at, expires_at, revoked_at';

function toKey(r: KeyRow): ApiKey {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    role: r.role,
    vendor: r.vendor,
    platform: r.platform,
    ownerUser: r.owner_user,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: iso(r.last_used_at),
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
  };
}

export async function insertKey(q: Queryable, k: ApiKey & { keyHash: string }): Promise<void> {
  await q.query(
    `INSERT INTO api_keys (id, name, prefix, key_hash, role, vendor, platform, owner_user, created_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [k.id, k.name, k.prefix, k.keyHash, k.role, k.vendor, k.platform, k.ownerUser, k.createdBy, k.createdAt, k.expiresAt],
  );
}

export async function getKey(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<ApiKey | undefined> {
  const r = await q.query<KeyRow>(`SELECT ${keyColumns} FROM api_keys WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return r.rows[0] && toKey(r.rows[0]);
}

export async function listKeys(q: Queryable, opts: { roles: readonly Role[] }): Promise<ApiKey[]> {
  const r = await q.query<KeyRow>(`SELECT ${keyColumns} FROM api_keys WHERE role = ANY($1) ORDER BY created_at, id`, [opts.roles]);
  return r.rows.map(toKey);
}

export async function revokeKey(q: Queryable, id: string, now: Date): Promise<void> {
  await q.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, now]);
}

/** A usable key by hash: not revoked, not expired. */
export async function keyByHash(q: Queryable, keyHash: string, now: Date): Promise<ApiKey | undefined> {
  const r = await q.query<KeyRow>(
    `SELECT ${keyColumns} FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
    [keyHash, now],
  );
  return r.rows[0] && toKey(r.rows[0]);
}

export async function touchKey(q: Queryable, id: string, now: Date): Promise<void> {
  await q.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [id, now]);
}

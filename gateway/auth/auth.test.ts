import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { asAdmin, bearer, testApp, userSession } from '../http/test-support.js';
import { sha256Hex } from './secrets.js';

t.teardown(stopSharedPostgres);

void t.test('authentication', async (t) => {
  const { app, db, clock } = await testApp(t);
  const me = (headers: Record<string, string>) => app.inject({ url: '/api/v1/auth/me', headers });

  await t.test('no credentials: 401 GW_ERR_UNAUTHENTICATED with a Bearer challenge', async (t) => {
    for (const url of ['/api/v1/auth/me', '/api/v1/users', '/api/v1/api-keys', '/api/v1/audit']) {
      const r = await app.inject({ url });
      t.equal(r.statusCode, 401, url);
      t.equal(r.json().error.code, 'GW_ERR_UNAUTHENTICATED');
      t.match(r.headers['www-authenticate'], /^Bearer/);
    }
    // Checked before the body is read: a write without credentials is refused the same way.
    const w = await app.inject({ method: 'POST', url: '/api/v1/users', payload: { nonsense: true } });
    t.equal(w.statusCode, 401);
  });

  await t.test('wrong or malformed credentials: 401', async (t) => {
    const wrong = [
      bearer('cok_' + 'A'.repeat(43)),
      bearer('cos_' + 'A'.repeat(43)),
      bearer('something-else'),
      bearer(`${asAdmin.authorization.slice(7)}x`),
      { 'x-api-key': 'cok_nope' },
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
      { authorization: 'Bearer' },
    ];
    for (const headers of wrong) {
      const r = await me(headers);
      t.equal(r.statusCode, 401, JSON.stringify(headers));
      t.equal(r.json().error.code, 'GW_ERR_UNAUTHENTICATED');
    }
  });

  await t.test('the bootstrap admin token is an admin principal', async (t) => {
    const r = await me(asAdmin);
    t.equal(r.statusCode, 200);
    t.same(r.json(), { kind: 'bootstrap', id: 'bootstrap', name: 'bootstrap admin', role: 'admin' });
  });

  await t.test('login, me, logout', async (t) => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/users', headers: asAdmin, payload: { username: 'Li.Wei', displayName: '李伟', role: 'ops', password: 'a long enough password' } });
    t.equal(created.statusCode, 201);
    const user = created.json();
    t.notOk('password' in user || 'passwordHash' in user, 'no password in the response');

    const bad = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'li.wei', password: 'wrong password' } });
    t.equal(bad.statusCode, 401);
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'nobody', password: 'wrong password' } });
    t.equal(unknown.statusCode, 401);
    t.equal(unknown.json().error.message, bad.json().error.message, 'unknown user and wrong password look the same');

    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'li.wei', password: 'a long enough password' } });
    t.equal(login.statusCode, 200);
    const { token, expiresAt, user: u } = login.json();
    t.match(token, /^cos_[A-Za-z0-9_-]{43}$/);
    t.equal(expiresAt, new Date(clock.now() + 12 * 3600 * 1000).toISOString());
    t.equal(u.id, user.id);

    const who = await me(bearer(token));
    t.same(who.json(), { kind: 'user', id: user.id, name: 'Li.Wei', role: 'ops' });

    const rows = (await db.query<{ token_hash: string }>('SELECT token_hash FROM sessions WHERE user_id = $1', [user.id])).rows;
    t.same(rows, [{ token_hash: sha256Hex(token) }], 'only the hash of the session token is stored');

    const out = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(token) });
    t.equal(out.statusCode, 204);
    t.equal((await me(bearer(token))).statusCode, 401, 'the token is dead after logout');
  });

  await t.test('passwords are stored as scrypt with salt and parameters', async (t) => {
    const a = await userSession(app, { username: 'scrypt-a', role: 'viewer', password: 'same password for both' });
    const b = await userSession(app, { username: 'scrypt-b', role: 'viewer', password: 'same password for both' });
    const rows = (await db.query<{ id: string; password_hash: string }>('SELECT id, password_hash FROM users WHERE id = ANY($1) ORDER BY username', [[a.id, b.id]])).rows;
    t.equal(rows.length, 2);
    for (const r of rows) {
      t.match(r.password_hash, /^scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
      t.notMatch(r.password_hash, /same password/);
    }
    t.not(rows[0]?.password_hash, rows[1]?.password_hash, 'per-user salt: equal passwords hash differently');
  });

  await t.test('sessions expire by the clock', async (t) => {
    const s = await userSession(app, { username: 'expiring', role: 'viewer' });
    t.equal((await me(bearer(s.token))).statusCode, 200);
    clock.advance(12 * 3600 * 1000);
    t.equal((await me(bearer(s.token))).statusCode, 401);
  });

  await t.test('disabling a user or changing its password ends its sessions', async (t) => {
    const s = await userSession(app, { username: 'leaver', role: 'district', password: 'first password!' });
    const off = await app.inject({ method: 'PATCH', url: `/api/v1/users/${s.id}`, headers: asAdmin, payload: { disabled: true } });
    t.equal(off.statusCode, 200);
    t.equal(off.json().disabled, true);
    t.equal((await me(bearer(s.token))).statusCode, 401);
    const relogin = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'leaver', password: 'first password!' } });
    t.equal(relogin.statusCode, 401);

    await app.inject({ method: 'PATCH', url: `/api/v1/users/${s.id}`, headers: asAdmin, payload: { disabled: false } });
    t.equal((await me(bearer(s.token))).statusCode, 200, 'enabled again');
    const pw = await app.inject({ method: 'PATCH', url: `/api/v1/users/${s.id}`, headers: asAdmin, payload: { password: 'second password!' } });
    t.equal(pw.statusCode, 200);
    t.equal((await me(bearer(s.token))).statusCode, 401, 'old session ended by the password change');
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'leaver', password: 'second password!' } });
    t.equal(login.statusCode, 200);
  });

  await t.test('users CRUD is for admins; viewers and ops cannot write', async (t) => {
    const viewer = await userSession(app, { username: 'watcher', role: 'viewer' });
    const ops = await userSession(app, { username: 'operator', role: 'ops' });
    for (const token of [viewer.token, ops.token]) {
      const w = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(token), payload: { username: 'x', displayName: 'x', role: 'admin', password: 'abcdefghijkl' } });
      t.equal(w.statusCode, 403);
      t.equal(w.json().error.code, 'GW_ERR_FORBIDDEN');
      t.equal((await app.inject({ url: '/api/v1/users', headers: bearer(token) })).statusCode, 403);
    }
    const dup = await app.inject({ method: 'POST', url: '/api/v1/users', headers: asAdmin, payload: { username: 'WATCHER', displayName: 'x', role: 'viewer', password: 'abcdefghijkl' } });
    t.equal(dup.statusCode, 409);
    t.equal(dup.json().error.code, 'GW_ERR_CONFLICT');

    const noVendor = await app.inject({ method: 'POST', url: '/api/v1/users', headers: asAdmin, payload: { username: 'v1', displayName: 'x', role: 'vendor', password: 'abcdefghijkl' } });
    t.equal(noVendor.statusCode, 400);
    t.equal(noVendor.json().error.details[0].field, '/vendor');
    const short = await app.inject({ method: 'POST', url: '/api/v1/users', headers: asAdmin, payload: { username: 'v1', displayName: 'x', role: 'viewer', password: 'short' } });
    t.equal(short.json().error.details[0].field, '/password');

    const list = await app.inject({ url: '/api/v1/users', headers: asAdmin });
    t.equal(list.statusCode, 200);
    t.ok(list.json().some((u: { username: string }) => u.username === 'watcher'));
    t.notMatch(list.body, /scrypt\$|"password/i);

    const toVendor = await app.inject({ method: 'PATCH', url: `/api/v1/users/${viewer.id}`, headers: asAdmin, payload: { role: 'vendor', vendor: 'acme' } });
    t.equal(toVendor.json().vendor, 'acme');
    const back = await app.inject({ method: 'PATCH', url: `/api/v1/users/${viewer.id}`, headers: asAdmin, payload: { role: 'viewer' } });
    t.equal(back.json().vendor, null, 'leaving the vendor role drops the vendor');

    const del = await app.inject({ method: 'DELETE', url: `/api/v1/users/${viewer.id}`, headers: asAdmin });
    t.equal(del.statusCode, 204);
    t.equal((await app.inject({ url: `/api/v1/users/${viewer.id}`, headers: asAdmin })).statusCode, 404);
    t.equal((await me(bearer(viewer.token))).statusCode, 401, 'sessions go with the user');
    const badId = await app.inject({ url: '/api/v1/users/not-a-uuid', headers: asAdmin });
    t.equal(badId.statusCode, 400);
    t.equal(badId.json().error.details[0].field, 'params/id');
  });
});

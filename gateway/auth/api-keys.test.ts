import t from 'tap';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { apiKey, asAdmin, bearer, testApp, userSession } from '../http/test-support.js';
import { sha256Hex } from './secrets.js';

t.teardown(stopSharedPostgres);

void t.test('API keys', async (t) => {
  const { app, db, clock } = await testApp(t);
  const me = (headers: Record<string, string>) => app.inject({ url: '/api/v1/auth/me', headers });

  await t.test('the key is shown once and stored only as a hash', async (t) => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: asAdmin, payload: { name: 'ctwing push', role: 'platform', platform: 'ctwing' } });
    t.equal(r.statusCode, 201);
    const { key, apiKey: meta } = r.json();
    t.match(key, /^cok_[A-Za-z0-9_-]{43}$/);
    t.equal(meta.prefix, key.slice(0, 10));
    t.equal(meta.platform, 'ctwing');
    t.equal(meta.createdBy, 'bootstrap:bootstrap');

    const row = (await db.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [meta.id])).rows[0];
    t.equal(row?.key_hash, sha256Hex(key));
    t.notMatch(JSON.stringify(row), key, 'no column holds the key');
    t.notMatch(JSON.stringify(row), key.slice(10), 'nor its secret part');

    const list = await app.inject({ url: '/api/v1/api-keys', headers: asAdmin });
    t.equal(list.statusCode, 200);
    t.notMatch(list.body, key, 'lists never show the key');
    t.notMatch(list.body, /key_?hash/i);
    t.ok(list.json().some((k: { id: string }) => k.id === meta.id));
  });

  await t.test('a key authenticates as Bearer or X-API-Key and records its last use', async (t) => {
    const { id, key } = await apiKey(app, { role: 'vendor', vendor: 'acme', name: 'acme uploader' });
    const expected = { kind: 'apikey', id, name: 'acme uploader', role: 'vendor', vendor: 'acme' };
    t.same((await me(bearer(key))).json(), expected);
    t.same((await me({ 'x-api-key': key })).json(), expected);
    const row = (await db.query<{ last_used_at: Date }>('SELECT last_used_at FROM api_keys WHERE id = $1', [id])).rows[0];
    t.equal(row?.last_used_at.getTime(), clock.now());
  });

  await t.test('revoked and expired keys: 401', async (t) => {
    const k = await apiKey(app, { role: 'viewer' });
    t.equal((await me(bearer(k.key))).statusCode, 200);
    const rv = await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${k.id}`, headers: asAdmin });
    t.equal(rv.statusCode, 204);
    const after = await me(bearer(k.key));
    t.equal(after.statusCode, 401);
    t.equal(after.json().error.code, 'GW_ERR_UNAUTHENTICATED');
    t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${k.id}`, headers: asAdmin })).statusCode, 204, 'revoking twice is harmless');
    const listed = (await app.inject({ url: '/api/v1/api-keys', headers: asAdmin })).json().find((x: { id: string }) => x.id === k.id);
    t.equal(listed.revokedAt, new Date(clock.now()).toISOString());

    const soon = await apiKey(app, { role: 'viewer', expiresAt: new Date(clock.now() + 60_000).toISOString() });
    t.equal((await me(bearer(soon.key))).statusCode, 200);
    clock.advance(60_000);
    t.equal((await me(bearer(soon.key))).statusCode, 401);

    const past = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: asAdmin, payload: { name: 'x', role: 'viewer', expiresAt: new Date(clock.now() - 1).toISOString() } });
    t.equal(past.statusCode, 400);
    t.equal(past.json().error.details[0].field, '/expiresAt');
    t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/api-keys/00000000-0000-4000-8000-000000000000', headers: asAdmin })).statusCode, 404);
  });

  await t.test('vendor and platform bindings are checked', async (t) => {
    const cases = [
      [{ role: 'vendor' }, '/vendor'],
      [{ role: 'viewer', vendor: 'acme' }, '/vendor'],
      [{ role: 'platform' }, '/platform'],
      [{ role: 'ops', platform: 'ctwing' }, '/platform'],
    ] as const;
    for (const [body, field] of cases) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: asAdmin, payload: { name: 'x', ...body } });
      t.equal(r.statusCode, 400, JSON.stringify(body));
      t.equal(r.json().error.details[0].field, field);
    }
  });

  await t.test('ops manages vendor, platform, district and viewer keys only', async (t) => {
    const ops = await userSession(app, { username: 'ops-keys', role: 'ops' });
    const asOps = bearer(ops.token);
    for (const body of [{ role: 'viewer' }, { role: 'district' }, { role: 'vendor', vendor: 'acme' }, { role: 'platform', platform: 'onenet' }]) {
      const k = await apiKey(app, body, asOps);
      t.ok(k.key, `ops may create a ${body.role} key`);
    }
    for (const role of ['admin', 'ops']) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: asOps, payload: { name: 'x', role } });
      t.equal(r.statusCode, 403, `ops may not create an ${role} key`);
      t.equal(r.json().error.code, 'GW_ERR_FORBIDDEN');
    }
    const adminKey = await apiKey(app, { role: 'admin' });
    const listed = (await app.inject({ url: '/api/v1/api-keys', headers: asOps })).json() as Array<{ role: string; id: string }>;
    t.notOk(listed.some((k) => k.role === 'admin' || k.role === 'ops'), 'ops does not see admin or ops keys');
    t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${adminKey.id}`, headers: asOps })).statusCode, 403);
    t.equal((await me(bearer(adminKey.key))).json().role, 'admin', 'the admin key still works');
    const ownerRow = (await db.query<{ owner_user: string }>("SELECT owner_user FROM api_keys WHERE created_by = 'user:' || $1 LIMIT 1", [ops.id])).rows[0];
    t.equal(ownerRow?.owner_user, ops.id, 'a key created by a user is owned by that user unless told otherwise');
  });

  await t.test('viewers, vendors and platforms cannot manage keys', async (t) => {
    for (const body of [{ role: 'viewer' }, { role: 'vendor', vendor: 'acme' }, { role: 'platform', platform: 'ctwing' }, { role: 'district' }]) {
      const k = await apiKey(app, body);
      const w = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(k.key), payload: { name: 'x', role: 'viewer' } });
      t.equal(w.statusCode, 403, body.role);
      t.equal((await app.inject({ url: '/api/v1/api-keys', headers: bearer(k.key) })).statusCode, 403);
    }
  });
});

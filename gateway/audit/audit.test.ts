import t from 'tap';
import { GatewayError } from '../core/errors.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { roles } from '../auth/roles.js';
import type { AreaPlugin } from '../http/app.js';
import { apiKey, asAdmin, bearer, testApp, userSession } from '../http/test-support.js';
import { redactSecrets } from './audit.js';

t.teardown(stopSharedPostgres);

interface AuditRecordJson {
  id: number;
  at: string;
  actor: { kind: string; id: string; name: string; role: string };
  action: string;
  target: { type: string; id: string | null };
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
  sourceIp: string | null;
}

/** A test-only area whose write records an audit row and then fails or succeeds. */
const thingArea: AreaPlugin = async (app, { services }) => {
  app.post('/:outcome', { config: roles('ops') }, async (req) => {
    await services.db.transaction(async (tx) => {
      await services.audit.record(tx, req, {
        action: 'thing.create',
        target: { type: 'thing', id: (req.params as { outcome: string }).outcome },
        after: { id: 't1', credentials: { secret: 's3cr3t' }, nested: [{ password: 'p4ss' }], apiKey: 'cok_zzz', name: 'kept' },
      });
      if ((req.params as { outcome: string }).outcome === 'fail') throw new GatewayError('GW_ERR_CONFLICT', 'the write after the audit row failed');
    });
    return { ok: true };
  });
};

void t.test('audit log', async (t) => {
  const { app, clock } = await testApp(t, { areas: [{ prefix: '/things', plugin: thingArea }] });
  const read = async (query: string, headers = asAdmin) => {
    const r = await app.inject({ url: `/api/v1/audit${query}`, headers });
    t.equal(r.statusCode, 200, r.body);
    return r.json() as { records: AuditRecordJson[]; nextCursor: number | null };
  };

  await t.test('every write of users and keys leaves a record, without secrets', async (t) => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/users', headers: { ...asAdmin, 'x-request-id': 'req-create-1' }, payload: { username: 'zhang', displayName: '张', role: 'ops', password: 'zhang password 1' } });
    const userId = created.json().id as string;
    clock.advance(1000);
    await app.inject({ method: 'PATCH', url: `/api/v1/users/${userId}`, headers: asAdmin, payload: { displayName: '张三', password: 'zhang password 2' } });
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'zhang', password: 'zhang password 2' } });
    const session = login.json().token as string;
    const key = await apiKey(app, { role: 'viewer', name: 'wall screen' }, bearer(session));
    await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: bearer(session) });
    await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(session) });
    await app.inject({ method: 'DELETE', url: `/api/v1/users/${userId}`, headers: asAdmin });

    const { records } = await read('?limit=1000');
    t.same(records.map((r) => r.action), ['user.create', 'user.update', 'auth.login', 'api_key.create', 'api_key.revoke', 'auth.logout', 'user.delete']);
    const [create, update, loginRec, keyCreate, keyRevoke, logout, del] = records;

    t.same(create?.actor, { kind: 'bootstrap', id: 'bootstrap', name: 'bootstrap admin', role: 'admin' });
    t.same(create?.target, { type: 'user', id: userId });
    t.equal(create?.before, null);
    t.equal(create?.after?.username, 'zhang');
    t.equal(create?.requestId, 'req-create-1');
    t.equal(create?.sourceIp, '127.0.0.1');
    t.equal(create?.at, new Date(Date.UTC(2026, 0, 1)).toISOString(), 'time comes from the clock');
    t.equal(update?.at, new Date(Date.UTC(2026, 0, 1) + 1000).toISOString());

    t.equal(update?.before?.displayName, '张');
    t.equal(update?.after?.displayName, '张三');
    t.equal(update?.after?.passwordChanged, true);
    t.same(loginRec?.actor, { kind: 'user', id: userId, name: 'zhang', role: 'ops' });
    t.same(keyCreate?.actor, { kind: 'user', id: userId, name: 'zhang', role: 'ops' });
    t.equal(keyCreate?.after?.name, 'wall screen');
    t.equal(keyRevoke?.before?.revokedAt, null);
    t.type(keyRevoke?.after?.revokedAt, 'string');
    t.equal(logout?.actor.id, userId);
    t.equal(del?.after, null);
    t.equal(del?.before?.displayName, '张三');

    const all = JSON.stringify(records);
    t.notMatch(all, /scrypt\$|zhang password|passwordHash|password_hash|key_?hash/i, 'no password or hash');
    t.notMatch(all, key.key, 'no API key');
    t.notMatch(all, session, 'no session token');
  });

  await t.test('the record shares the transaction of the write', async (t) => {
    const ops = await apiKey(app, { role: 'ops', name: 'ops key' });
    const ok = await app.inject({ method: 'POST', url: '/api/v1/things/ok', headers: bearer(ops.key) });
    t.equal(ok.statusCode, 200);
    const fail = await app.inject({ method: 'POST', url: '/api/v1/things/fail', headers: bearer(ops.key) });
    t.equal(fail.statusCode, 409);
    const { records } = await read('?target=thing');
    t.same(records.map((r) => r.target.id), ['ok'], 'the failed write left no audit record');
    t.same(records[0]?.after, { id: 't1', credentials: '[redacted]', nested: [{ password: '[redacted]' }], apiKey: '[redacted]', name: 'kept' });
    t.same(records[0]?.actor, { kind: 'apikey', id: ops.id, name: 'ops key', role: 'ops' });
  });

  await t.test('filters, cursor and access', async (t) => {
    const all = (await read('?limit=1000')).records;
    const someUser = all.find((r) => r.action === 'user.create');
    t.ok(someUser);
    const byTarget = await read(`?target=user:${someUser?.target.id}`);
    t.ok(byTarget.records.length >= 3);
    t.ok(byTarget.records.every((r) => r.target.id === someUser?.target.id));
    t.ok((await read('?action=api_key.*')).records.every((r) => r.action.startsWith('api_key.')));
    t.same((await read('?action=user.create')).records.map((r) => r.action), ['user.create']);
    t.ok((await read('?actor=bootstrap')).records.every((r) => r.actor.id === 'bootstrap'));
    t.ok((await read('?actor=zhang')).records.length >= 3, 'by actor name too');
    t.ok((await read(`?since=${encodeURIComponent(new Date(Date.UTC(2026, 0, 1) + 500).toISOString())}`)).records.every((r) => r.at > '2026-01-01T00:00:00.000Z'));

    const page1 = await read('?limit=2');
    t.equal(page1.records.length, 2);
    t.equal(page1.nextCursor, page1.records[1]?.id);
    const page2 = await read(`?limit=2&after=${page1.nextCursor}`);
    t.equal(page2.records[0]?.id, all[2]?.id);
    const last = await read(`?after=${all[all.length - 2]?.id}`);
    t.equal(last.records.length, 1);
    t.equal(last.nextCursor, null);

    const opsUser = await userSession(app, { username: 'auditor', role: 'ops' });
    t.equal((await app.inject({ url: '/api/v1/audit', headers: bearer(opsUser.token) })).statusCode, 200, 'ops reads the audit log');
    for (const role of ['viewer', 'district'] as const) {
      const k = await apiKey(app, { role });
      t.equal((await app.inject({ url: '/api/v1/audit', headers: bearer(k.key) })).statusCode, 403, `${role} does not`);
    }
    t.equal((await app.inject({ url: '/api/v1/audit?limit=5000', headers: asAdmin })).statusCode, 400);
  });
});

void t.test('redactSecrets', async (t) => {
  t.same(redactSecrets({ password: 'x', passwordHash: 'y', token: 't', key: 'k', prefix: 'cok_ab', deviceSecret: 'd', privateKey: 'p', vendor: 'acme', nothing: null, passwordChanged: true, list: [{ apiKey: 'a' }] }), {
    password: '[redacted]', passwordHash: '[redacted]', token: '[redacted]', key: '[redacted]', prefix: 'cok_ab', deviceSecret: '[redacted]', privateKey: '[redacted]', vendor: 'acme', nothing: null, passwordChanged: true, list: [{ apiKey: '[redacted]' }],
  });
  t.equal(redactSecrets('plain'), 'plain');
});

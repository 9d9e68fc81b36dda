import t from 'tap';
import { Type } from 'typebox';
import { pino } from 'pino';
import { GatewayError } from '../core/errors.js';
import type { Db } from '../storage/db.js';
import { openPg } from '../storage/pg-driver.js';
import { roles, publicRoute } from '../auth/roles.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import type { AreaPlugin, AppServices } from './app.js';
import { asAdmin, testApp, testConfig, testDb } from './test-support.js';

t.teardown(stopSharedPostgres);

let seenServices: AppServices | undefined;

/** A test-only area exercising validation and error mapping. */
const thingsArea: AreaPlugin = async (app, opts) => {
  seenServices = opts.services;
  app.post(
    '/',
    {
      config: roles('ops'),
      schema: {
        body: Type.Object(
          { name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 1 }), kind: Type.Enum(['smoke', 'gas']), where: Type.Optional(Type.Object({ lon: Type.Number() })) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => ({ ok: req.body.name }),
  );
  app.get('/', { config: roles('viewer'), schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1 })) }) } }, async () => ({ ok: true }));
  app.get('/boom', { config: publicRoute }, async () => {
    throw new Error('pool exhausted: password=hunter2 in connection string');
  });
  app.get('/conflict', { config: publicRoute }, async () => {
    throw new GatewayError('GW_ERR_CONFLICT', 'device WL-1 already exists', [{ field: '/id', message: 'is taken' }]);
  });
};

void t.test('app', async (t) => {
  const db = await testDb(t);
  const { app, lines } = await testApp(t, { db, config: testConfig({ bodyLimit: 2048 }), areas: [{ prefix: '/things', plugin: thingsArea }] });
  const post = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/api/v1/things', headers: { ...asAdmin, ...headers }, payload: payload as string });

  await t.test('area plugins get the shared services and live under /api/v1', async (t) => {
    t.equal(seenServices?.db, db);
    t.type(seenServices?.audit.record, 'function');
    const r = await post({ name: 'a', count: 1, kind: 'gas' });
    t.equal(r.statusCode, 200);
    t.same(r.json(), { ok: 'a' });
  });

  await t.test('health and readiness are public', async (t) => {
    const h = await app.inject({ url: '/healthz' });
    t.equal(h.statusCode, 200);
    t.same(h.json(), { status: 'ok' });
    const r = await app.inject({ url: '/readyz' });
    t.equal(r.statusCode, 200);
    t.same(r.json(), { status: 'ready', checks: { database: 'ok', broker: 'ok' } });
  });

  await t.test('request ids: generated, or kept when the caller sends a sane one', async (t) => {
    const a = await app.inject({ url: '/healthz' });
    t.match(a.headers['x-request-id'], /^[0-9a-f-]{36}$/);
    const b = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'district-42' } });
    t.equal(b.headers['x-request-id'], 'district-42');
    const c = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\u0000with junk' } });
    t.not(c.headers['x-request-id'], 'bad id\u0000with junk');
  });

  await t.test('unknown route: 404 GW_ERR_NOT_FOUND, with or without credentials', async (t) => {
    for (const headers of [{}, asAdmin]) {
      const r = await app.inject({ url: '/api/v1/nothing-here?token=x', headers });
      t.equal(r.statusCode, 404);
      t.equal(r.json().error.code, 'GW_ERR_NOT_FOUND');
      t.notMatch(r.json().error.message, /token=x/);
    }
  });

  await t.test('schema violations name the field', async (t) => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ count: 1, kind: 'gas' }, '/name', /required/],
      [{ name: 'a', count: 'many', kind: 'gas' }, '/count', /integer/],
      [{ name: 'a', count: 1, kind: 'gas', colour: 'red' }, '/colour', /not a known property/],
      [{ name: 'a', count: 1, kind: 'fire' }, '/kind', /one of: smoke, gas/],
      [{ name: 'a', count: 1, kind: 'gas', where: { lon: 'east' } }, '/where/lon', /number/],
    ];
    for (const [body, field, message] of cases) {
      const r = await post(body);
      t.equal(r.statusCode, 400, field);
      const e = r.json().error;
      t.equal(e.code, 'GW_ERR_VALIDATION');
      t.equal(e.details[0].field, field);
      t.match(e.details[0].message, message);
      t.match(e.message, new RegExp(`request body is invalid at ${field}`));
    }
    const q = await app.inject({ url: '/api/v1/things?limit=0', headers: asAdmin });
    t.equal(q.statusCode, 400);
    t.equal(q.json().error.details[0].field, 'querystring/limit');
  });

  await t.test('bad JSON, empty JSON, wrong media type, too large', async (t) => {
    const bad = await post('{"name": "a",', { 'content-type': 'application/json' });
    t.equal(bad.statusCode, 400);
    t.equal(bad.json().error.code, 'GW_ERR_VALIDATION');
    t.match(bad.json().error.message, /not valid JSON/);
    const empty = await post('', { 'content-type': 'application/json' });
    t.equal(empty.json().error.code, 'GW_ERR_VALIDATION');
    const xml = await post('<a/>', { 'content-type': 'application/xml' });
    t.equal(xml.statusCode, 415);
    t.equal(xml.json().error.code, 'GW_ERR_UNSUPPORTED_MEDIA_TYPE');
    const big = await post({ name: 'x'.repeat(4096), count: 1, kind: 'gas' });
    t.equal(big.statusCode, 413);
    t.equal(big.json().error.code, 'GW_ERR_PAYLOAD_TOO_LARGE');
    t.match(big.json().error.message, /2048 bytes/);
  });

  await t.test('GatewayErrors keep their code, status and details', async (t) => {
    const r = await app.inject({ url: '/api/v1/things/conflict' });
    t.equal(r.statusCode, 409);
    t.same(r.json(), { error: { code: 'GW_ERR_CONFLICT', message: 'device WL-1 already exists', details: [{ field: '/id', message: 'is taken' }] } });
  });

  await t.test('anything else is GW_ERR_INTERNAL with a generic message; the log has the stack', async (t) => {
    const r = await app.inject({ url: '/api/v1/things/boom' });
    t.equal(r.statusCode, 500);
    const e = r.json().error;
    t.equal(e.code, 'GW_ERR_INTERNAL');
    t.notMatch(e.message, /hunter2|pool/);
    const reqId = r.headers['x-request-id'] as string;
    t.match(e.message, reqId);
    const logged = lines.map((l) => JSON.parse(l) as { reqId?: string; level: number; err?: { stack?: string } }).find((l) => l.reqId === reqId && l.level === 50);
    t.match(logged?.err?.stack, /pool exhausted[\s\S]*app\.test\.ts/);
  });
});

void t.test('readiness: 503 naming the part that is not ready', async (t) => {
  const db = await testDb(t);
  // A second pool on the same database, closed: its ping fails as a lost database's would.
  const lost = await openPg({ url: await currentUrl(db), poolSize: 1, logger: pino({ level: 'silent' }) });
  await lost.close();
  const { app } = await testApp(t, { db, readiness: { database: () => lost.ping(), broker: () => true } });
  const r = await app.inject({ url: '/readyz' });
  t.equal(r.statusCode, 503);
  t.equal(r.json().error.code, 'GW_ERR_NOT_READY');
  t.same(r.json().error.details, [{ field: 'database', message: 'not ready' }]);

  const { app: app2 } = await testApp(t, {
    db,
    readiness: {
      database: () => db.ping(),
      broker: () => {
        throw new Error('broker not listening');
      },
    },
  });
  const r2 = await app2.inject({ url: '/readyz' });
  t.equal(r2.statusCode, 503);
  t.match(r2.json().error.message, /not ready: broker/);
  t.same(r2.json().error.details, [{ field: 'broker', message: 'check failed: broker not listening' }]);
});

void t.test('a route without an access rule stops the app from starting', async (t) => {
  const db = await testDb(t);
  const forgetful: AreaPlugin = async (app) => {
    app.get('/open', async () => ({ oops: true }));
  };
  await t.rejects(testApp(t, { db, areas: [{ prefix: '/forgetful', plugin: forgetful }] }), /GET \/api\/v1\/forgetful\/open declares no access rule/);

  await t.rejects(
    testApp(t, {
      db,
      extend: (app) => {
        app.get('/late', async () => 'late');
      },
    }),
    /GET \/late declares no access rule/,
  );

  const badRole: AreaPlugin = async (app) => {
    app.get('/x', { config: { auth: { roles: ['superuser' as 'admin'] } } }, async () => 'x');
  };
  await t.rejects(testApp(t, { db, areas: [{ prefix: '/bad', plugin: badRole }] }), /unknown roles superuser/);
});

async function currentUrl(db: Db): Promise<string> {
  const r = await db.query<{ db: string; port: number }>('SELECT current_database() AS db, inet_server_port() AS port');
  const row = r.rows[0];
  if (!row) throw new Error('no row');
  return `postgres://postgres@127.0.0.1:${row.port}/${row.db}`;
}

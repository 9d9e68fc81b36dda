import t from 'tap';
import { apiKey, asAdmin, bearer, testApp } from '../http/test-support.js';
import { databaseSink } from '../ingest/sink.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { ruleRoutes } from './routes.js';
import { depth, depthRule, rulesFixture, T0 } from './testing.js';

t.teardown(stopSharedPostgres);

t.test('rules API: versions, activation, whole-set import, validation, backtests, roles', async (t) => {
  const fx = await rulesFixture(t);
  let applied = 0;
  const { app } = await testApp(t, {
    db: fx.db,
    areas: [{ prefix: '/rules', plugin: ruleRoutes({ store: fx.store, runtime: { apply: async () => void applied++ }, devices: () => fx.registry.all() }) }],
  });
  const ops = bearer((await apiKey(app, { role: 'ops' })).key);
  const viewer = bearer((await apiKey(app, { role: 'viewer' })).key);
  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = ops) =>
    app.inject({ method, url: `/api/v1/rules${url}`, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });

  let r = await call('POST', '/', { rule: depthRule({ id: 'wl-depth' }), reason: 'first cut', activate: true });
  t.equal(r.statusCode, 201, r.body);
  t.equal(r.json().version, 1);
  t.equal(applied, 1, 'hot apply after activation');
  r = await call('POST', '/', { rule: depthRule({ id: 'wl-x' }), reason: 'viewer tries' }, viewer);
  t.equal(r.statusCode, 403, 'viewers read only');
  r = await call('PUT', '/wl-depth', { rule: depthRule({ id: 'wl-depth', for: '90s' }), reason: 'slower' });
  t.equal(r.json().version, 2);
  t.same(r.json().diff, [{ path: '/for', before: '60s', after: '90s' }]);
  r = await call('GET', '/wl-depth', undefined, viewer);
  t.equal(r.json().latest.version, 2);
  t.equal(r.json().active.version, 1);
  r = await call('POST', '/wl-depth/activate', { version: 2, reason: 'go' });
  t.equal(r.json().version, 2);
  r = await call('GET', '/wl-depth/diff?from=1&to=2', undefined, viewer);
  t.same(r.json().changes, [{ path: '/for', before: '60s', after: '90s' }]);
  r = await call('GET', '/wl-depth/versions', undefined, viewer);
  t.same(r.json().versions.map((v: { version: number; author: string }) => `${v.version}:${v.author}`), ['1:ops key', '2:ops key'], 'author from the principal');
  r = await call('GET', '/wl-depth/versions/1', undefined, viewer);
  t.equal(r.json().rule.for, '60s');
  r = await call('POST', '/wl-depth/rollback', { reason: 'too slow' });
  t.equal(r.json().version, 1);
  r = await call('GET', '/', undefined, viewer);
  t.same(r.json().rules.map((a: { ruleId: string; version: number }) => `${a.ruleId}@${a.version}`), ['wl-depth@1']);
  r = await call('POST', '/wl-depth/deactivate', { reason: 'off season' });
  t.equal(r.statusCode, 204);
  r = await call('GET', '/wl-depth/activations', undefined, viewer);
  t.same(r.json().activations.map((a: { action: string }) => a.action), ['activate', 'activate', 'rollback', 'deactivate']);

  // An invalid set: every error, nothing changed.
  r = await call('PUT', '/?reason=season', { rules: [depthRule({ id: 'a' }), depthRule({ id: 'a' }), depthRule({ id: 'b', for: 'never' })] });
  t.equal(r.statusCode, 400);
  const fields = r.json().error.details.map((d: { field: string }) => d.field);
  t.ok(fields.includes('/rules/1/id'), 'duplicate id');
  t.ok(fields.some((f: string) => f.startsWith('/rules/2/for')), 'bad duration');
  r = await call('GET', '/', undefined, viewer);
  t.same(r.json().rules, [], 'nothing activated');
  // YAML, reason in the query.
  const yaml = `rules:\n  - id: wl-yaml\n    name: from yaml\n    scope: { kinds: [waterlogging] }\n    condition: { type: threshold, metric: depth_cm, thresholds: { red: 50 } }\n    grades: { red: { for: 0s } }\n`;
  r = await app.inject({ method: 'PUT', url: '/api/v1/rules?reason=import', headers: { ...ops, 'content-type': 'application/yaml' }, payload: yaml });
  t.equal(r.statusCode, 200, r.body);
  t.same(r.json().activated, [{ ruleId: 'wl-yaml', version: 1 }]);
  r = await app.inject({ method: 'POST', url: '/api/v1/rules/validate', headers: { ...viewer, 'content-type': 'application/yaml' }, payload: 'rules: [ {' });
  t.equal(r.statusCode, 400);
  t.match(r.json().error.message, /YAML syntax error at line/);
  r = await call('POST', '/validate', { rules: [depthRule({ id: 'ok' })] }, viewer);
  t.same(r.json(), { ok: true, rules: 1, errors: [] });

  // Audit: every write recorded.
  const audit = await app.inject({ method: 'GET', url: '/api/v1/audit?action=rule.*&limit=100', headers: asAdmin });
  const actions = audit.json<{ records: Array<{ action: string }> }>().records.map((x) => x.action);
  t.ok(['rule.create', 'rule.update', 'rule.activate', 'rule.rollback', 'rule.deactivate'].every((a) => actions.includes(a)), actions.join(','));

  // Backtests: stored readings, a stored rule version, against the active one.
  await databaseSink(fx.db).write([10, 30, 45, 55, 52, 20, 5].map((cm, i) => depth('wl-1', T0 + i * 60_000, cm)), []);
  const range = { from: new Date(T0).toISOString(), to: new Date(T0 + 3600_000).toISOString() };
  r = await call('POST', '/backtests?wait=true', { ruleId: 'wl-depth', version: 2, ...range });
  t.equal(r.statusCode, 200, r.body);
  t.equal(r.json().status, 'done');
  t.equal(r.json().result.readings, 7);
  t.equal(r.json().result.compare, null, 'wl-depth is not active: nothing to compare');
  r = await call('POST', '/backtests', { rules: [depthRule({ id: 'wl-yaml' })], ...range });
  t.equal(r.statusCode, 202);
  const id = r.json().id as string;
  let job = r.json();
  for (let i = 0; i < 200 && job.status !== 'done' && job.status !== 'failed'; i++) {
    await new Promise((res) => setTimeout(res, 20));
    job = (await call('GET', `/backtests/${id}`, undefined, viewer)).json();
  }
  t.equal(job.status, 'done', job.error ?? '');
  t.ok(job.progress.readings === 7);
  t.ok(job.result.compare, 'compared with the active wl-yaml');
  t.match(job.result.summary, /against the compared version/);
  r = await call('POST', '/backtests', { ...range });
  t.equal(r.statusCode, 400, 'a candidate is required');
  r = await call('GET', '/backtests/nope', undefined, viewer);
  t.equal(r.statusCode, 404);
});

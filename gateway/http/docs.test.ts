import t from 'tap';
import { Type } from 'typebox';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { roles } from '../auth/roles.js';
import type { AreaPlugin } from './app.js';
import { testApp } from './test-support.js';

t.teardown(stopSharedPostgres);

interface Operation {
  summary?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  responses?: Record<string, unknown>;
  requestBody?: unknown;
  parameters?: Array<{ name: string; in: string }>;
}
interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, Record<string, string>> };
  security: Array<Record<string, string[]>>;
}

const demoArea: AreaPlugin = async (app) => {
  app.get('/:id', { config: roles('viewer'), schema: { summary: 'Get a demo', params: Type.Object({ id: Type.String() }), response: { 200: Type.Object({ id: Type.String() }) } } }, async (req) => ({ id: req.params.id }));
};

void t.test('OpenAPI 3 at /docs/json, UI at /docs, both public', async (t) => {
  const { app } = await testApp(t, { areas: [{ prefix: '/demos', plugin: demoArea }] });
  const r = await app.inject({ url: '/docs/json' });
  t.equal(r.statusCode, 200);
  const doc = r.json<OpenApi>();
  t.match(doc.openapi, /^3\.\d+\.\d+$/);
  t.equal(doc.info.title, 'CityOps Gateway API');
  t.match(doc.info.version, /^\d+\.\d+\.\d+/);
  t.same(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearerAuth?.description });
  t.match(doc.components.securitySchemes.apiKeyAuth, { type: 'apiKey', in: 'header', name: 'X-API-Key' });

  const expected: Array<[string, string]> = [
    ['/healthz', 'get'], ['/readyz', 'get'], ['/metrics', 'get'],
    ['/api/v1/auth/login', 'post'], ['/api/v1/auth/logout', 'post'], ['/api/v1/auth/me', 'get'],
    ['/api/v1/users', 'get'], ['/api/v1/users', 'post'], ['/api/v1/users/{id}', 'get'], ['/api/v1/users/{id}', 'patch'], ['/api/v1/users/{id}', 'delete'],
    ['/api/v1/api-keys', 'get'], ['/api/v1/api-keys', 'post'], ['/api/v1/api-keys/{id}', 'delete'],
    ['/api/v1/audit', 'get'], ['/api/v1/demos/{id}', 'get'],
  ];
  for (const [path, method] of expected) t.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
  t.notOk(Object.keys(doc.paths).some((p) => p.startsWith('/docs')), 'the docs routes are not in the document');

  // Structural checks a validator would make: every operation has responses; path params are declared.
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      t.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${path} has responses`);
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) t.ok(op.parameters?.some((p) => p.in === 'path' && p.name === name), `${method} ${path} declares {${name}}`);
    }
  }

  t.same(doc.paths['/api/v1/auth/login']?.post?.security, [], 'login needs no credentials');
  t.same(doc.paths['/healthz']?.get?.security, []);
  t.same(doc.paths['/api/v1/users']?.post?.security, [{ bearerAuth: [] }, { apiKeyAuth: [] }]);
  t.match(doc.paths['/api/v1/users']?.post?.description, /Roles: admin\./);
  t.match(doc.paths['/api/v1/demos/{id}']?.get?.description, /Roles: admin, viewer\./);
  t.ok(doc.paths['/api/v1/users']?.post?.requestBody, 'request bodies come from the route schema');
  t.ok(doc.paths['/api/v1/users/{id}']?.get?.responses?.['4XX'], 'error responses are documented');

  const ui = await app.inject({ url: '/docs/' });
  t.equal(ui.statusCode, 200);
  t.match(ui.headers['content-type'], /text\/html/);
  t.equal((await app.inject({ url: '/docs/yaml' })).statusCode, 200);
});

import t from 'tap';
import { Type } from 'typebox';
import { GatewayError } from '../core/errors.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import type { AreaPlugin } from '../http/app.js';
import { apiKey, bearer, testApp, userSession } from '../http/test-support.js';
import { assertVendorAccess, roles, vendorScope } from './roles.js';

t.teardown(stopSharedPostgres);

/** A test-only area with vendor-owned resources, written the way the devices area will be. */
const widgets = new Map([
  ['w-a', { id: 'w-a', vendor: 'acme' }],
  ['w-b', { id: 'w-b', vendor: 'bolt' }],
]);
const Widget = Type.Object({ id: Type.String(), vendor: Type.String() });
const widgetArea: AreaPlugin = async (app) => {
  app.get('/', { config: roles('vendor', 'viewer', 'ops'), schema: { response: { 200: Type.Array(Widget) } } }, async (req) => {
    const scope = vendorScope(req.principal);
    return [...widgets.values()].filter((w) => scope === undefined || w.vendor === scope);
  });
  app.get('/:id', { config: roles('vendor', 'viewer', 'ops'), schema: { params: Type.Object({ id: Type.String() }), response: { 200: Widget } } }, async (req) => {
    const w = widgets.get(req.params.id);
    if (!w) throw new GatewayError('GW_ERR_NOT_FOUND', `no widget ${req.params.id}`);
    assertVendorAccess(req.principal, w.vendor);
    return w;
  });
  app.put('/:id', { config: roles('vendor', 'ops'), schema: { params: Type.Object({ id: Type.String() }) } }, async (req) => {
    const w = widgets.get(req.params.id);
    assertVendorAccess(req.principal, w?.vendor);
    return { ok: true };
  });
};

void t.test('vendor isolation', async (t) => {
  const { app } = await testApp(t, { areas: [{ prefix: '/widgets', plugin: widgetArea }] });
  const acmeKey = await apiKey(app, { role: 'vendor', vendor: 'acme' });
  const acmeUser = await userSession(app, { username: 'acme-engineer', role: 'vendor', vendor: 'acme' });
  const viewer = await apiKey(app, { role: 'viewer' });
  const platform = await apiKey(app, { role: 'platform', platform: 'ctwing' });

  for (const [who, headers] of [['key', bearer(acmeKey.key)], ['user', bearer(acmeUser.token)]] as const) {
    const own = await app.inject({ url: '/api/v1/widgets/w-a', headers });
    t.equal(own.statusCode, 200, `acme ${who} reads its own widget`);
    const other = await app.inject({ url: '/api/v1/widgets/w-b', headers });
    t.equal(other.statusCode, 403, `acme ${who} cannot read bolt's widget`);
    t.equal(other.json().error.code, 'GW_ERR_FORBIDDEN');
    t.equal((await app.inject({ method: 'PUT', url: '/api/v1/widgets/w-b', headers })).statusCode, 403);
    t.same((await app.inject({ url: '/api/v1/widgets', headers })).json(), [{ id: 'w-a', vendor: 'acme' }], `acme ${who} lists only its own`);
  }

  t.equal((await app.inject({ url: '/api/v1/widgets/w-b', headers: bearer(viewer.key) })).statusCode, 200, 'a viewer reads any vendor');
  t.equal((await app.inject({ url: '/api/v1/widgets', headers: bearer(viewer.key) })).json().length, 2);
  t.equal((await app.inject({ method: 'PUT', url: '/api/v1/widgets/w-a', headers: bearer(viewer.key) })).statusCode, 403, 'a viewer cannot write');
  t.equal((await app.inject({ url: '/api/v1/widgets', headers: bearer(platform.key) })).statusCode, 403, 'a platform key only ingests');
});

void t.test('assertVendorAccess and vendorScope', async (t) => {
  const vendor = { kind: 'apikey', id: 'k', name: 'k', role: 'vendor', vendor: 'acme' } as const;
  t.doesNotThrow(() => assertVendorAccess(vendor, 'acme'));
  t.throws(() => assertVendorAccess(vendor, 'bolt'), { code: 'GW_ERR_FORBIDDEN' });
  t.throws(() => assertVendorAccess(vendor, null), { code: 'GW_ERR_FORBIDDEN' }, 'unowned resources are not a vendor’s');
  t.throws(() => assertVendorAccess({ ...vendor, vendor: undefined }, undefined), { code: 'GW_ERR_FORBIDDEN' });
  t.doesNotThrow(() => assertVendorAccess({ kind: 'user', id: 'u', name: 'u', role: 'ops' }, 'bolt'));
  t.equal(vendorScope(vendor), 'acme');
  t.equal(vendorScope({ kind: 'user', id: 'u', name: 'u', role: 'district' }), undefined);
});

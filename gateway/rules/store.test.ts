import t, { type Test } from 'tap';
import { FakeClock } from '../core/clock.js';
import { testDb } from '../http/test-support.js';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { GatewayError } from '../core/errors.js';
import { RuleStore } from './store.js';
import { depthRule, T0, who } from './testing.js';

t.teardown(stopSharedPostgres);

async function setup(t: Test) {
  const db = await testDb(t);
  const clock = new FakeClock(T0);
  return { db, clock, store: new RuleStore({ db, clock }) };
}

t.test('versions: create, update with a diff, activate, rollback, deactivate', async (t) => {
  const { store, clock } = await setup(t);
  const v1 = await store.create(depthRule({ id: 'wl-depth' }), who, { activate: true });
  t.equal(v1.version, 1);
  t.same(v1.diff, []);
  t.equal(v1.author, 'zhang');
  t.equal(v1.rule.enabled, true, 'stored with the schema defaults applied');
  clock.advance(1000);
  const u2 = await store.update('wl-depth', depthRule({ id: 'wl-depth', for: '90s' }), { name: 'li', reason: 'fewer false alarms' });
  t.equal(u2.version.version, 2);
  t.ok(u2.created);
  t.same(u2.version.diff, [{ path: '/for', before: '60s', after: '90s' }], 'the diff names the path');
  t.equal((await store.getActive('wl-depth'))?.version, 1, 'an update does not activate unless asked');
  const same = await store.update('wl-depth', depthRule({ id: 'wl-depth', for: '90s' }), who);
  t.equal(same.version.version, 2, 'an unchanged body makes no version');
  t.notOk(same.created);
  const u3 = await store.update('wl-depth', { ...depthRule({ id: 'wl-depth', for: '120s' }), id: undefined }, who, { activate: true });
  t.equal(u3.version.version, 3, 'the id may be left to the path');
  t.equal((await store.getActive('wl-depth'))?.version, 3);
  await store.activate('wl-depth', 2, who);
  t.equal((await store.getActive('wl-depth'))?.version, 2);

  t.equal((await store.rollback('wl-depth', who)).version, 3, 'rollback: the version active before');
  t.equal((await store.rollback('wl-depth', who)).version, 1, 'a second rollback walks further back');
  await t.rejects(store.rollback('wl-depth', who), { code: 'GW_ERR_CONFLICT' }, 'nothing earlier');
  await store.deactivate('wl-depth', who);
  t.same(await store.activeRules(), []);
  await t.rejects(store.deactivate('wl-depth', who), { code: 'GW_ERR_CONFLICT' });
  t.same((await store.activations('wl-depth')).map((a) => `${a.action}:${a.version}`), ['activate:1', 'activate:3', 'activate:2', 'rollback:3', 'rollback:1', 'deactivate:null']);
  t.same(await store.diff('wl-depth', 1, 3), [{ path: '/for', before: '60s', after: '120s' }]);
  t.same((await store.listVersions('wl-depth')).map((v) => v.version), [1, 2, 3]);
  await t.rejects(store.getVersion('wl-depth', 9), { code: 'GW_ERR_NOT_FOUND' });
  await t.rejects(store.create(depthRule({ id: 'wl-depth' }), who), { code: 'GW_ERR_CONFLICT' });
  await t.rejects(store.update('nope', depthRule({ id: 'nope' }), who), { code: 'GW_ERR_NOT_FOUND' });
  await t.rejects(store.update('wl-depth', depthRule({ id: 'other' }), who), { code: 'GW_ERR_VALIDATION' });
});

t.test('a bad rule names the path and the problem', async (t) => {
  const { store } = await setup(t);
  const bad = depthRule({ id: 'wl-bad', condition: { type: 'threshold', metric: 'depth_cm', direction: 'above', thresholds: { blue: 30, yellow: 20 } } });
  const err = await store.create(bad, who).catch((e: unknown) => e);
  t.ok(err instanceof GatewayError);
  const g = err as GatewayError;
  t.equal(g.code, 'GW_ERR_VALIDATION');
  t.ok(g.details?.some((d) => d.field?.startsWith('/condition/thresholds')), JSON.stringify(g.details));
  t.same(await store.listRules(), [], 'nothing stored');
});

t.test('an invalid set is refused whole, with every error listed', async (t) => {
  const { store } = await setup(t);
  await store.importSet({ rules: [depthRule({ id: 'keep' })] }, who);
  const set = {
    rules: [
      depthRule({ id: 'a-good' }),
      depthRule({ id: 'b-bad', condition: { type: 'threshold', metric: 'no_such_metric', direction: 'above', thresholds: { red: 1 } } }),
      depthRule({ id: 'c-bad', for: 'soon' }),
    ],
  };
  const err = (await store.importSet(set, who).catch((e: unknown) => e)) as GatewayError;
  t.equal(err.code, 'GW_ERR_VALIDATION');
  const fields = (err.details ?? []).map((d) => d.field ?? '');
  t.ok(fields.some((f) => f.startsWith('/rules/1/')), 'the unknown metric');
  t.ok(fields.some((f) => f.startsWith('/rules/2/for')), 'the bad duration');
  t.match(err.message, /nothing was changed/);
  t.same((await store.activeRules()).map((r) => r.rule.id), ['keep'], 'the active set is untouched');
  t.same((await store.listRules()).map((r) => r.ruleId), ['keep'], 'not even the good rule got a version');

  const out = await store.importSet({ rules: [depthRule({ id: 'a-good' }), depthRule({ id: 'keep', for: '30s' })] }, who);
  t.same(out.created, [{ ruleId: 'a-good', version: 1 }, { ruleId: 'keep', version: 2 }]);
  t.same(out.deactivated, []);
  const again = await store.importSet({ rules: [depthRule({ id: 'keep', for: '30s' })] }, who);
  t.same(again.created, []);
  t.same(again.unchanged, ['keep']);
  t.same(again.deactivated, ['a-good'], 'a rule left out of the set stops');
});

t.test('first start seeds the defaults once, as version 1 by system', async (t) => {
  const { store } = await setup(t);
  const set = { rules: [depthRule({ id: 'd1' }), depthRule({ id: 'd2' })] };
  t.equal(await store.seedIfEmpty(set), 2);
  t.equal(await store.seedIfEmpty(set), 0, 'versions exist: nothing');
  const v = await store.getVersion('d1', 1);
  t.equal(v.author, 'system');
  t.equal(v.reason, 'default rule set');
  t.same((await store.activeRules()).map((r) => `${r.rule.id}@${r.version}`), ['d1@1', 'd2@1']);
});

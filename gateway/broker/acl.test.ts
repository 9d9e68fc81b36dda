import t from 'tap';
import { authorizePublish, authorizeSubscribe, authorizeWill, filterCovers } from './acl.js';
import type { Principal } from './types.js';

const dev1: Principal = { kind: 'device', id: 'dev-1' };
const district: Principal = { kind: 'subscriber', id: 'district', readTopics: ['cityops/v1/warnings/#', 'cityops/v1/cases/+/new'] };

void t.test('device publish rules', async (t) => {
  const allowed: Array<[string, boolean]> = [
    ['cityops/v1/devices/dev-1/up', false],
    ['cityops/v1/devices/dev-1/up/raw', false],
    ['cityops/v1/devices/dev-1/up/a/b', false],
    ['cityops/v1/devices/dev-1/event', false],
    ['cityops/v1/devices/dev-1/event/alarm', false],
    ['cityops/v1/devices/dev-1/status', true],
  ];
  for (const [topic, retain] of allowed) t.match(authorizePublish(dev1, topic), { ok: true, retainAllowed: retain }, topic);
  const refused = [
    'cityops/v1/devices/dev-2/up', // another device
    'cityops/v1/devices/dev-1/down', // written by the gateway
    'cityops/v1/devices/dev-1/status/x',
    'cityops/v1/devices/dev-1/other',
    'cityops/v1/devices/dev-1',
    'cityops/v1/devices/dev-1/up/', // empty level
    'cityops/v1/warnings/red/waterlogging',
    'cityops/v1/cases/c1',
    '$SYS/broker',
    'somewhere/else',
  ];
  for (const topic of refused) t.match(authorizePublish(dev1, topic), { ok: false }, topic);
  t.match(authorizePublish(district, 'cityops/v1/warnings/red/x'), { ok: false, reason: /read-only/ });
});

void t.test('will rules: own status only', async (t) => {
  t.same(authorizeWill(dev1, 'cityops/v1/devices/dev-1/status'), { ok: true });
  t.match(authorizeWill(dev1, 'cityops/v1/devices/dev-1/up'), { ok: false });
  t.match(authorizeWill(dev1, 'cityops/v1/devices/dev-2/status'), { ok: false });
  t.match(authorizeWill(district, 'cityops/v1/warnings/red/x'), { ok: false });
});

void t.test('device subscribe rules: own down, no wildcards', async (t) => {
  t.same(authorizeSubscribe(dev1, 'cityops/v1/devices/dev-1/down'), { ok: true });
  t.same(authorizeSubscribe(dev1, 'cityops/v1/devices/dev-1/down/config'), { ok: true });
  for (const f of ['#', '+/+', '$SYS/#', 'cityops/v1/devices/dev-2/down', 'cityops/v1/devices/+/down', 'cityops/v1/devices/dev-1/#', 'cityops/v1/devices/dev-1/down/#', 'cityops/v1/devices/dev-1/up', 'cityops/v1/warnings/#']) {
    t.match(authorizeSubscribe(dev1, f), { ok: false }, f);
  }
});

void t.test('subscriber subscribe rules: within the allowed filters', async (t) => {
  for (const f of ['cityops/v1/warnings/#', 'cityops/v1/warnings/red/+', 'cityops/v1/warnings/+/waterlogging', 'cityops/v1/warnings', 'cityops/v1/cases/+/new', 'cityops/v1/cases/c1/new']) {
    t.same(authorizeSubscribe(district, f), { ok: true }, f);
  }
  for (const f of ['#', 'cityops/#', 'cityops/v1/+/red/x', 'cityops/v1/cases/#', 'cityops/v1/cases/+/+', 'cityops/v1/devices/dev-1/up', '$SYS/#']) {
    t.match(authorizeSubscribe(district, f), { ok: false }, f);
  }
});

void t.test('filterCovers follows MQTT wildcard semantics', async (t) => {
  const table: Array<[string, string, boolean]> = [
    ['a/#', 'a', true], // # also matches the parent level [MQTT-4.7.1-2]
    ['a/#', 'a/b/c', true],
    ['a/#', 'a/+', true],
    ['a/#', 'a/#', true],
    ['a/+', 'a', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/+', true],
    ['a/+', 'a/#', false], // a/# also matches a/b/c
    ['a/+/#', 'a/#', false], // a/# also matches a
    ['a/b', 'a/b', true],
    ['a/b', 'a/+', false],
    ['a/b', 'a/b/c', false],
    ['+/b', 'x/b', true],
    ['#', 'anything/at/all', true],
    ['#', '$SYS/x', false], // [MQTT-4.7.2-1]
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
  ];
  for (const [allowed, requested, want] of table) t.equal(filterCovers(allowed, requested), want, `${allowed} ⊇ ${requested}: ${want}`);
});

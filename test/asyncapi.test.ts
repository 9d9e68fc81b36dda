import t from 'tap';
import { readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { parse as parseYaml } from 'yaml';
import { sensorAdapters } from '../adapters/index.js';
import { fixturePayload, loadFixtures, SensorFixture } from '../adapters/lib/fixtures.js';
import { deviceKinds } from '../adapters/types.js';
import { decodeAndValidate } from '../adapters/validate.js';
import { ConfigSchema } from '../gateway/config/schema.js';
import { CASE_PREFIX, DEVICE_PREFIX, DeviceStatusPayloadSchema, deviceSuffixes, TOPIC_ROOT, WARNING_PREFIX, warningGrades } from '../gateway/broker/topics.js';

/**
 * docs/asyncapi.yaml against the code: topics spelled as gateway/broker/topics.ts spells them,
 * every `$ref` inside the document, every sensor adapter listed on the topics it decodes, and
 * every example one the adapter really decodes (and every valid fixture one the documented
 * schema accepts).
 */
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const doc = obj(parseYaml(readFileSync(new URL('../docs/asyncapi.yaml', import.meta.url), 'utf8')));
const channels = obj(doc.channels);
const operations = obj(doc.operations);
const components = obj(doc.components);

/** RFC 6901 pointer inside the document; undefined when it does not resolve. */
function resolve(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !(key in node)) return undefined;
    node = (node as Obj)[key];
  }
  return node;
}

function refs(v: unknown, path = '#', out: { at: string; ref: string }[] = []): { at: string; ref: string }[] {
  if (Array.isArray(v)) v.forEach((x, i) => refs(x, `${path}/${i}`, out));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref') out.push({ at: path, ref: String(x) });
      else refs(x, `${path}/${k}`, out);
    }
  }
  return out;
}

/** Follows `$ref`s (the document has no cycles) so a schema can be checked on its own. */
function deref(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deref);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Obj;
  if (typeof o.$ref === 'string') return deref(resolve(o.$ref));
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, deref(x)]));
}

const messageOf = (v: unknown): Obj => obj(deref(v));
const addressParams = (address: string) => [...address.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');

t.test('AsyncAPI 3.0.0, and every $ref resolves inside the document', async (t) => {
  t.equal(doc.asyncapi, '3.0.0');
  const all = refs(doc);
  t.ok(all.length > 20, 'the document uses references');
  for (const { at, ref } of all) t.not(resolve(ref), undefined, `${at}: ${ref} resolves`);
  t.equal(resolve('#/components/schemas/Nope'), undefined, 'a dangling reference is caught');
});

t.test('channel addresses follow gateway/broker/topics.ts', async (t) => {
  const addresses = Object.entries(channels).map(([name, c]) => ({ name, address: String(obj(c).address) }));
  const deviceSuffixSeen: string[] = [];
  for (const { name, address } of addresses) {
    t.ok(address.startsWith(`${TOPIC_ROOT}/`), `${name} is under ${TOPIC_ROOT}/`);
    if (address.startsWith(DEVICE_PREFIX)) {
      const m = new RegExp(`^${DEVICE_PREFIX}\\{deviceId\\}/([a-z]+)$`).exec(address);
      t.ok(m && (deviceSuffixes as readonly string[]).includes(m[1] ?? ''), `${address}: {deviceId} then a device suffix`);
      if (m?.[1]) deviceSuffixSeen.push(m[1]);
    } else if (address.startsWith(WARNING_PREFIX)) {
      t.equal(address, `${WARNING_PREFIX}{grade}/{kind}`);
    } else {
      t.equal(address, `${CASE_PREFIX}{caseId}`, `${name} is a device, warning or case topic`);
    }
    const declared = Object.keys(obj(obj(channels[name]).parameters)).sort();
    t.same(declared, addressParams(address).sort(), `${name}: parameters match the address`);
  }
  t.same(deviceSuffixSeen.sort(), [...deviceSuffixes].sort(), 'one channel per device suffix');
  t.same(obj(deref(obj(obj(channels.warnings).parameters).grade)).enum, [...warningGrades], 'grades as in topics.ts');
  t.same(obj(deref(obj(obj(channels.warnings).parameters).kind)).enum, [...deviceKinds], 'kinds as in adapters/types.ts');
});

t.test('operations: send/receive on a channel, with that channel\'s messages', async (t) => {
  const used = new Set<string>();
  for (const [name, raw] of Object.entries(operations)) {
    const op = obj(raw);
    t.ok(op.action === 'send' || op.action === 'receive', `${name}: action`);
    const channelRef = String(obj(op.channel).$ref);
    const channelName = /^#\/channels\/([^/]+)$/.exec(channelRef)?.[1] ?? '';
    t.ok(channelName in channels, `${name}: channel ${channelRef}`);
    used.add(channelName);
    const messages = list(op.messages).map((m) => String(obj(m).$ref));
    t.ok(messages.length > 0, `${name} lists its messages`);
    for (const m of messages) t.ok(m.startsWith(`${channelRef}/messages/`), `${name}: ${m} belongs to its channel`);
    t.equal(obj(obj(op.bindings).mqtt).qos, 1, `${name}: QoS 1`);
  }
  t.same([...used].sort(), Object.keys(channels).sort(), 'every channel has an operation');
  const receivers = Object.values(operations).filter((o) => obj(o).action === 'receive').map((o) => String(obj(obj(o).channel).$ref));
  t.notOk(receivers.some((r) => r === '#/channels/deviceDown' || r === '#/channels/warnings' || r === '#/channels/cases'), 'down, warnings and cases are written by the gateway only');
});

t.test('servers use the configured default ports', async (t) => {
  const cfg = obj(deref({ ...(ConfigSchema as unknown as Obj) }));
  const prop = (...path: string[]) => path.reduce<unknown>((n, k) => obj(obj(n).properties)[k], cfg);
  const servers = obj(doc.servers);
  t.match(String(obj(servers.mqtt).host), new RegExp(`:${String(obj(prop('mqtt', 'port')).default)}$`), 'MQTT over TCP');
  t.match(String(obj(servers.mqtts).host), new RegExp(`:${String(obj(prop('mqtt', 'tls', 'port')).default)}$`), 'MQTT over TLS');
  t.match(String(obj(servers.ws).host), new RegExp(`:${String(obj(prop('http', 'port')).default)}$`), 'WebSocket on the HTTP port');
  t.equal(obj(servers.ws).pathname, obj(prop('mqtt', 'websocketPath')).default, 'WebSocket path');
  for (const [name, s] of Object.entries(servers)) t.ok(list(obj(s).security).length === 2, `${name}: device and subscriber logins`);
});

t.test('every sensor adapter is documented on the topics it decodes', async (t) => {
  const channelBySuffix = (s: string) => Object.values(channels).map(obj).find((c) => String(c.address).endsWith(`/${s}`));
  for (const suffix of ['up', 'event']) {
    const documented = Object.values(obj(channelBySuffix(suffix)?.messages)).map((m) => String(messageOf(m)['x-cityops-adapter']));
    const expected = sensorAdapters.filter((a) => a.topics.includes(suffix)).map((a) => a.id);
    t.same(documented.sort(), expected.sort(), `${suffix}: one message per adapter that reads it`);
  }
});

t.test('examples decode with their adapter; valid fixtures match the documented schema', async (t) => {
  const ctx = { deviceId: 'DOC-1', topic: `${DEVICE_PREFIX}DOC-1/up`, receivedAt: Date.parse('2026-01-05T08:00:00Z') };
  for (const [key, raw] of Object.entries(obj(components.messages))) {
    const msg = obj(raw);
    const id = msg['x-cityops-adapter'];
    if (typeof id !== 'string') continue;
    const adapter = sensorAdapters.find((a) => a.id === id);
    if (!adapter) {
      t.fail(`${key}: no adapter ${id}`);
      continue;
    }
    const hex = msg['x-cityops-example-hex'];
    const examples = typeof hex === 'string' ? [Buffer.from(hex, 'hex')] : list(msg.examples).map((e) => Buffer.from(JSON.stringify(obj(e).payload)));
    t.ok(examples.length > 0, `${key} has an example`);
    for (const bytes of examples) {
      const r = decodeAndValidate(adapter, bytes, ctx);
      t.ok(r.ok && r.readings.length > 0, `${key}: example decodes with ${id}${r.ok ? '' : `: ${r.error.message}`}`);
    }
    const schema = deref(msg.payload);
    if (typeof schema !== 'object' || schema === null) {
      t.fail(`${key}: payload schema resolves`);
      continue;
    }
    const binary = obj(schema).format === 'binary';
    t.equal(binary, adapter.encoding === 'binary', `${key}: payload schema fits a ${adapter.encoding} adapter`);
    if (binary) continue;
    for (const e of list(msg.examples)) t.ok(Value.Check(schema as TSchema, obj(e).payload), `${key}: example matches its schema`);
    for (const { file, fixture } of await loadFixtures(id, SensorFixture)) {
      if (!/\/valid-[^/]*$/.test(file)) continue;
      const payload: unknown = JSON.parse(Buffer.from(fixturePayload(fixture)).toString('utf8'));
      t.ok(Value.Check(schema as TSchema, payload), `${key}: schema accepts ${file.split('/').slice(-2).join('/')}`);
    }
  }
});

t.test('the status payload is the one the broker publishes', async (t) => {
  const documented = obj(deref(obj(obj(components.schemas).DeviceStatusPayload)));
  const code = DeviceStatusPayloadSchema as unknown as Obj;
  t.same(Object.keys(obj(documented.properties)).sort(), Object.keys(obj(code.properties)).sort(), 'same fields');
  t.same(list(documented.required).sort(), list(code.required).sort(), 'same required fields');
  t.same(obj(obj(documented.properties).status).enum, ['online', 'offline']);
  for (const e of list(messageOf(obj(components.messages).deviceStatus).examples)) {
    t.ok(Value.Check(DeviceStatusPayloadSchema, obj(e).payload), 'example passes the code\'s schema');
  }
});

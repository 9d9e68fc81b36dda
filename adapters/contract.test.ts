/**
 * The one contract every adapter meets (STYLE.md §1), in the spirit of
 * zigbee-herdsman-converters' definition checks: registry complete and well-named, exposes
 * well-formed, own fixtures decode as recorded, decode never throws on garbage, encoders
 * round-trip through decode.
 */
import t from 'tap';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deviceKinds, type DecodeContext, type DecodeErrorCode, type PlatformAdapter, type Reading, type SensorAdapter } from './types.js';
import { getPlatformAdapter, getSensorAdapter, platformAdapters, sensorAdapters } from './index.js';
import { encoders } from './encoders.js';
import { decodeAndValidate, metricNamePattern, platformToReadings, validateReadings } from './validate.js';
import { bytesToHex } from './codecs/bytes.js';
import { fixturePayload, fixturesDir, loadFixtures, PlatformFixture, SensorFixture } from './lib/fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const kebab = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const errorCodes: readonly DecodeErrorCode[] = ['MALFORMED', 'WRONG_TYPE', 'MISSING_FIELD', 'UNKNOWN_METRIC', 'OUT_OF_RANGE', 'BAD_CHECKSUM', 'SHORT_FRAME', 'UNSUPPORTED'];
/** Files in adapters/ that are infrastructure, not device models. */
const supportModules = new Set(['index.ts', 'types.ts', 'validate.ts', 'encoders.ts']);
const ctx: DecodeContext = { deviceId: 'fixture-device', topic: 'cityops/v1/devices/fixture-device/up', receivedAt: Date.UTC(2024, 4, 29, 4, 30) };

function isSensorAdapter(v: unknown): v is SensorAdapter {
  return typeof v === 'object' && v !== null && 'id' in v && 'decode' in v && 'exposes' in v;
}
function isPlatformAdapter(v: unknown): v is PlatformAdapter {
  return typeof v === 'object' && v !== null && 'id' in v && 'decode' in v && 'name' in v && !('exposes' in v);
}

/** Problems with how adapter files and the registry line up (empty = fine). */
export function registryProblems(modules: Record<string, Record<string, unknown>>, registered: readonly object[]): string[] {
  const problems: string[] = [];
  const listed = new Set(registered);
  for (const [file, exports] of Object.entries(modules)) {
    const found = Object.values(exports).filter((v) => isSensorAdapter(v) || isPlatformAdapter(v));
    if (found.length !== 1) problems.push(`${file} exports ${found.length} adapters; an adapter file exports exactly one`);
    for (const a of found) if (!listed.has(a)) problems.push(`${file} exports adapter "${(a as { id: string }).id}" that adapters/index.ts does not list`);
  }
  return problems;
}

async function adapterModules(): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const dir of ['.', 'platforms']) {
    for (const name of await readdir(path.join(here, dir))) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts') || (dir === '.' && supportModules.has(name))) continue;
      const rel = path.join(dir, name);
      out[rel] = (await import(pathToFileURL(path.join(here, rel)).href)) as Record<string, unknown>;
    }
  }
  return out;
}

void t.test('registry: ids unique, kebab-case, looked up by id', async (t) => {
  const ids = [...sensorAdapters, ...platformAdapters].map((a) => a.id);
  t.same(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'no duplicate ids');
  for (const id of ids) t.match(id, kebab, `${id} is kebab-case`);
  for (const a of sensorAdapters) t.equal(getSensorAdapter(a.id), a);
  for (const a of platformAdapters) t.equal(getPlatformAdapter(a.id), a);
  t.equal(getSensorAdapter('no-such-adapter'), undefined);
});

void t.test('registry: every adapter file is listed', async (t) => {
  const modules = await adapterModules();
  t.ok(Object.keys(modules).length >= sensorAdapters.length + platformAdapters.length, 'found the adapter files');
  t.same(registryProblems(modules, [...sensorAdapters, ...platformAdapters]), []);
  // The check itself must be able to fail.
  const stray: SensorAdapter = { ...sensorAdapters[0]!, id: 'stray-model' };
  t.match(registryProblems({ 'stray.ts': { stray } }, sensorAdapters), [/does not list/]);
  t.match(registryProblems({ 'helpers.ts': { x: 1 } }, sensorAdapters), [/exports 0 adapters/]);
});

void t.test('exposes: every metric is well-formed', async (t) => {
  for (const a of sensorAdapters) {
    t.ok(deviceKinds.includes(a.kind), `${a.id}: kind ${a.kind} is known`);
    t.ok(a.vendor && a.model && a.description, `${a.id}: vendor, model, description`);
    t.ok(a.encoding === 'json' || a.encoding === 'binary', `${a.id}: encoding`);
    t.ok(a.topics.length > 0 && a.topics.every((s) => /^[a-z][a-z0-9_/-]*$/.test(s)), `${a.id}: topics`);
    if (a.openMetrics !== true) t.ok(a.exposes.length > 0, `${a.id}: a closed adapter exposes metrics`);
    const names = a.exposes.map((m) => m.name);
    t.same(names.filter((n, i) => names.indexOf(n) !== i), [], `${a.id}: metric names unique`);
    for (const m of a.exposes) {
      const where = `${a.id}/${m.name}`;
      t.match(m.name, metricNamePattern, `${where}: name`);
      t.ok(m.description.length > 0, `${where}: description`);
      if (m.type === 'numeric') {
        t.ok(m.unit.length > 0, `${where}: unit`);
        t.ok(Number.isFinite(m.min) && Number.isFinite(m.max) && m.min < m.max, `${where}: range [${m.min}, ${m.max}]`);
      } else {
        t.ok(m.states.length > 0, `${where}: has states`);
        t.equal(new Set(m.states).size, m.states.length, `${where}: states unique`);
        t.ok(m.states.every((s) => metricNamePattern.test(s)), `${where}: states are snake_case`);
        if (m.codes) t.same(Object.values(m.codes).sort(), [...m.states].sort(), `${where}: codes cover exactly the states`);
      }
    }
  }
});

void t.test('fixtures: each adapter has its own, at least 3 valid and 3 invalid', async (t) => {
  const dirs = (await readdir(fixturesDir)).sort();
  const ids = [...sensorAdapters, ...platformAdapters].map((a) => a.id).sort();
  t.same(dirs, ids, 'one fixture folder per adapter, none orphaned');
  for (const a of sensorAdapters) {
    const fx = await loadFixtures(a.id, SensorFixture);
    t.ok(fx.filter((f) => f.fixture.expect).length >= 3, `${a.id}: ≥ 3 valid`);
    t.ok(fx.filter((f) => f.fixture.expectError).length >= 3, `${a.id}: ≥ 3 invalid`);
  }
  for (const a of platformAdapters) {
    const fx = await loadFixtures(a.id, PlatformFixture);
    t.ok(fx.filter((f) => f.fixture.expect).length >= 3, `${a.id}: ≥ 3 valid`);
    t.ok(fx.filter((f) => f.fixture.expectError).length >= 3, `${a.id}: ≥ 3 invalid`);
  }
});

void t.test('sensor fixtures decode as recorded and pass validation', async (t) => {
  for (const a of sensorAdapters) {
    for (const { file, fixture: f } of await loadFixtures(a.id, SensorFixture)) {
      const name = `${a.id}/${path.basename(file)}`;
      const res = decodeAndValidate(a, fixturePayload(f), ctx);
      if (f.expect) {
        if (!res.ok) {
          t.fail(`${name}: ${res.error.code} ${res.error.message}`);
          continue;
        }
        t.same(res.readings, f.expect.readings, name);
        t.ok(validateReadings(a, res.readings).ok, `${name}: readings pass validate`);
      } else {
        t.equal(res.ok ? 'ok' : res.error.code, f.expectError, name);
        if (!res.ok) t.ok(res.error.message.length > 0, `${name}: says why`);
        if (!res.ok && f.expectErrorIncludes) t.match(res.error.message, f.expectErrorIncludes, `${name}: message`);
      }
    }
  }
});

void t.test('platform fixtures decode as recorded and map onto device adapters', async (t) => {
  for (const p of platformAdapters) {
    for (const { file, fixture: f } of await loadFixtures(p.id, PlatformFixture)) {
      const name = `${p.id}/${path.basename(file)}`;
      const res = p.decode(f.body, { receivedAt: ctx.receivedAt });
      if (!f.expect) {
        t.equal(res.ok ? 'ok' : res.error.code, f.expectError, name);
        continue;
      }
      if (!res.ok) {
        t.fail(`${name}: ${res.error.code} ${res.error.message}`);
        continue;
      }
      const seen = res.messages.map(({ raw, ...m }) => (raw ? { ...m, rawHex: bytesToHex(raw) } : m));
      t.same(seen, f.expect.messages, name);
      if (f.then && res.messages[0]) {
        const adapter = getSensorAdapter(f.then.adapter);
        if (!adapter) {
          t.fail(`${name}: then.adapter ${f.then.adapter} is not registered`);
          continue;
        }
        const mapped = platformToReadings(res.messages[0], adapter, { ...ctx, topic: `http:${p.id}`, rename: f.then.rename, ignore: f.then.ignore });
        t.same(mapped.ok ? mapped.readings : mapped.error, f.then.readings, `${name}: readings for ${adapter.id}`);
      }
    }
  }
});

/** mulberry32: a tiny seeded PRNG, so a fuzz failure replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function wellFormed(res: { ok: boolean; readings?: Reading[]; error?: { code: string; message: string } }): boolean {
  if (res.ok) return Array.isArray(res.readings);
  return res.error !== undefined && errorCodes.includes(res.error.code as DecodeErrorCode) && typeof res.error.message === 'string';
}

void t.test('fuzz: decode never throws on random, truncated or corrupted input', async (t) => {
  for (const a of sensorAdapters) {
    const rnd = prng(0xc17e + a.id.length);
    const seeds = (await loadFixtures(a.id, SensorFixture)).map((f) => fixturePayload(f.fixture));
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 120; i++) inputs.push(Uint8Array.from({ length: Math.floor(rnd() * 96) }, () => Math.floor(rnd() * 256)));
    for (const s of seeds) {
      for (let i = 0; i < 12; i++) inputs.push(s.subarray(0, Math.floor(rnd() * s.length)));
      for (let i = 0; i < 12; i++) {
        const m = Uint8Array.from(s);
        if (m.length > 0) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        inputs.push(m);
      }
    }
    let bad = 0;
    for (const input of inputs) {
      try {
        const res = a.decode(input, ctx);
        if (!wellFormed(res)) bad++;
        decodeAndValidate(a, input, ctx);
      } catch (e) {
        bad++;
        t.fail(`${a.id} threw on ${bytesToHex(input)}: ${String(e)}`);
        break;
      }
    }
    t.equal(bad, 0, `${a.id}: ${inputs.length} inputs, all answered with a well-formed result`);
  }
  for (const p of platformAdapters) {
    const rnd = prng(0x0e7 + p.id.length);
    const randomValue = (depth: number): unknown => {
      const k = Math.floor(rnd() * 8);
      if (depth > 3 || k < 2) return [null, true, -1, 1e300, 'x', '', 1716955200000][Math.floor(rnd() * 7)];
      if (k < 4) return Array.from({ length: Math.floor(rnd() * 3) }, () => randomValue(depth + 1));
      const keys = ['messageType', 'deviceId', 'payload', 'serviceData', 'APPdata', 'msg', 'params', 'data', 'value', 'time', 'topic', 'deviceName', 'notifyType', 'type', 'dev_id', 'ds_id'];
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [keys[Math.floor(rnd() * keys.length)] ?? 'k', randomValue(depth + 1)]));
    };
    const bodies: unknown[] = Array.from({ length: 300 }, () => randomValue(0));
    for (const { fixture } of await loadFixtures(p.id, PlatformFixture)) {
      if (typeof fixture.body !== 'object' || fixture.body === null) continue;
      for (const key of Object.keys(fixture.body)) bodies.push({ ...fixture.body, [key]: randomValue(1) });
    }
    let threw = 0;
    for (const b of bodies) {
      try {
        p.decode(b, { receivedAt: ctx.receivedAt });
      } catch (e) {
        threw++;
        t.fail(`${p.id} threw on ${JSON.stringify(b)}: ${String(e)}`);
        break;
      }
    }
    t.equal(threw, 0, `${p.id}: ${bodies.length} bodies, none threw`);
  }
});

void t.test('encoders: every sensor adapter has one, and encode → decode round-trips', async (t) => {
  const time = Date.UTC(2024, 4, 29, 4, 0); // on a minute: SL 651 observation times have minutes only
  for (const a of sensorAdapters) {
    const encode = encoders[a.id];
    if (!encode) {
      t.fail(`${a.id} has no encoder`);
      continue;
    }
    const values: Record<string, number | string> = a.openMetrics ? { depth_cm: 12, door: 'open' } : {};
    for (const m of a.exposes) {
      values[m.name] = m.type === 'numeric' ? Math.round(m.min + (m.max - m.min) * 0.3) : m.states[1] ?? m.states[0] ?? '';
    }
    const res = decodeAndValidate(a, encode('4401020003', values, { time, seq: 7 }), ctx);
    if (!res.ok) {
      t.fail(`${a.id}: ${res.error.code} ${res.error.message}`);
      continue;
    }
    const got = Object.fromEntries(res.readings.map((r) => [r.metric, r.value ?? r.state]));
    t.same(got, values, `${a.id}: values survive`);
    t.ok(res.readings.every((r) => r.time === time && r.seq === 7), `${a.id}: time and seq survive`);
  }
});

import t from 'tap';
import { Type } from 'typebox';
import { parseJsonAs } from './json.js';
import { deviceTime, flatJsonModel } from './json-model.js';
import { coded, numeric } from './metrics.js';
import { beijingTextClock, epochSecondsClock, msOrIsoClock, parseTimestamp } from './time.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as unknown;
const ctx = { deviceId: 'd', topic: 'up', receivedAt: 0 };
const time = Date.UTC(2024, 4, 29, 4, 0);

const Payload = Type.Object({
  id: Type.Optional(Type.String()),
  ts: Type.Integer(),
  n: Type.Integer({ minimum: 0 }),
  level: Type.Optional(Type.Number()),
  door: Type.Optional(Type.Integer()),
});
const door = coded({ name: 'door_state', description: 'Door.', codes: { 0: 'closed', 1: 'open' } });
const level = numeric({ name: 'level_cm', unit: 'cm', min: 0, max: 100, description: 'Level.' });
const model = flatJsonModel({
  schema: Payload,
  timeKey: 'ts',
  clock: epochSecondsClock,
  seqKey: 'n',
  seqMask: 0xff,
  idKey: 'id',
  idFrom: (d) => (d === '' ? undefined : d.toUpperCase()),
  fields: [
    { key: 'level', metric: level },
    { key: 'door', metric: door, default: 'closed' },
  ],
});

void t.test('parseJsonAs: bytes → checked value, or the first problem', async (t) => {
  t.same(parseJsonAs(Payload, enc('{"ts":1,"n":2}')), { ok: true, value: { ts: 1, n: 2 } });
  t.match(parseJsonAs(Payload, enc('{"ts":')), { ok: false, error: { code: 'MALFORMED' } });
  t.match(parseJsonAs(Payload, enc('{"ts":1}')), { ok: false, error: { code: 'MISSING_FIELD', field: '/n' } });
});

void t.test('deviceTime: absent is no time, a bad one names its field', async (t) => {
  t.same(deviceTime('ts', undefined, parseTimestamp), { ok: true, time: undefined });
  t.same(deviceTime('ts', time, parseTimestamp), { ok: true, time });
  t.match(deviceTime('at', 1717000000, parseTimestamp), { ok: false, error: { code: 'WRONG_TYPE', field: '/at', message: /^\/at 1717000000 is not ms since epoch/ } });
});

void t.test('wire clocks write what they read', async (t) => {
  t.same(msOrIsoClock.parse(msOrIsoClock.format(time)), { ok: true, time });
  t.same(epochSecondsClock.parse(epochSecondsClock.format(time)), { ok: true, time });
  t.same(beijingTextClock.parse(beijingTextClock.format(time)), { ok: true, time });
  t.equal(epochSecondsClock.format(time + 999), time / 1000, 'seconds clock truncates');
  t.equal(beijingTextClock.format(time), '2024-05-29 12:00:00');
});

void t.test('flatJsonModel: exposes the field metrics in order', async (t) => {
  t.equal(model.encoding, 'json');
  t.same(model.exposes, [level, door]);
});

void t.test('flatJsonModel: decode', async (t) => {
  const s = time / 1000;
  t.same(model.decode(enc(`{"ts":${s},"n":3,"level":12.5,"door":1}`), ctx), {
    ok: true,
    readings: [
      { metric: 'level_cm', value: 12.5, time, seq: 3 },
      { metric: 'door_state', state: 'open', time, seq: 3 },
    ],
  });
  t.same(model.decode(enc(`{"ts":${s},"n":3}`), ctx), { ok: true, readings: [] }, 'absent fields give no readings');
  t.same(model.decode(enc(`{"ts":${s},"n":3,"door":7}`), ctx), { ok: false, error: { code: 'OUT_OF_RANGE', message: '/door 7 is not one of 0=closed, 1=open', field: '/door' } });
  t.match(model.decode(enc(`{"ts":${time},"n":3}`), ctx), { ok: false, error: { code: 'WRONG_TYPE', field: '/ts' } }, 'ms where seconds are due');
  t.match(model.decode(enc('{"ts":1,"n":"x"}'), ctx), { ok: false, error: { code: 'WRONG_TYPE', field: '/n' } });
  const custom = flatJsonModel({ schema: Payload, timeKey: 'ts', clock: epochSecondsClock, seqKey: 'n', fields: [{ key: 'door', metric: door, codesText: 'a door code' }] });
  t.match(custom.decode(enc(`{"ts":${s},"n":3,"door":7}`), ctx), { ok: false, error: { message: '/door 7 is not a door code' } });
});

void t.test('flatJsonModel: encode writes id, clock, masked counter, then fields; round-trips', async (t) => {
  const encode = model.encode;
  if (!encode) return t.fail('no encoder');
  const bytes = encode('ab-1', { level_cm: 40, door_state: 'open', other: 5 }, { time, seq: 0x1ff });
  t.equal(new TextDecoder().decode(bytes), `{"id":"AB-1","ts":${time / 1000},"n":255,"level":40,"door":1}`);
  t.same(dec(encode('', {}, { time, seq: 1 })), { ts: time / 1000, n: 1, door: 0 }, 'no id, the default state');
  t.throws(() => encode('x', { door_state: 'ajar' }, { time, seq: 1 }), RangeError);
  const back = model.decode(bytes, ctx);
  t.same(back.ok ? back.readings.map((r) => r.value ?? r.state) : back, [40, 'open']);
});

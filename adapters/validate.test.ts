import t from 'tap';
import type { DecodeContext, PlatformMessage, Reading, SensorAdapter } from './types.js';
import { decodeAndValidate, platformToReadings, validateReadings } from './validate.js';
import { coded, numeric } from './lib/metrics.js';
import { ok } from './lib/result.js';
import { requirePlatformAdapter, requireSensorAdapter } from './index.js';
import { isGatewayError } from '../gateway/core/errors.js';
import { encodeCtvFrame } from './codecs/ctv.js';

const ctx: DecodeContext = { deviceId: 'd1', topic: 'http:test', receivedAt: 1716955200000 };

const model: SensorAdapter = {
  id: 'test-model',
  vendor: 'Test',
  model: 'T-1',
  kind: 'gas',
  description: 'test double',
  encoding: 'json',
  topics: ['up'],
  exposes: [
    numeric({ name: 'ch4_lel_pct', unit: '%LEL', min: 0, max: 100, description: 'gas' }),
    coded({ name: 'valve_state', description: 'valve', codes: { 0: 'closed', 1: 'open' } }),
    { type: 'state', name: 'mode', states: ['auto', 'manual'], description: 'no codes' },
    { type: 'state', name: 'armed', states: ['true', 'false'], description: 'boolean-like' },
  ],
  decode: () => ok([]),
};

const open: SensorAdapter = { ...model, id: 'open-model', openMetrics: true, exposes: [numeric({ name: 'depth_cm', unit: 'cm', min: 0, max: 300, description: 'd' })] };

const err = (r: ReturnType<typeof validateReadings>) => (r.ok ? undefined : r.error);

void t.test('validateReadings', async (t) => {
  t.same(validateReadings(model, [{ metric: 'ch4_lel_pct', value: 25 }, { metric: 'valve_state', state: 'open', time: 1, seq: 2 }]), {
    ok: true,
    readings: [{ metric: 'ch4_lel_pct', value: 25 }, { metric: 'valve_state', state: 'open', time: 1, seq: 2 }],
  });
  t.match(err(validateReadings(model, [{ metric: 'co_ppm', value: 1 }])), { code: 'UNKNOWN_METRIC', field: 'co_ppm', message: /not exposed by adapter test-model \(exposes: ch4_lel_pct, valve_state/ });
  t.match(err(validateReadings(model, [{ metric: 'ch4_lel_pct', value: 101 }])), { code: 'OUT_OF_RANGE', message: 'ch4_lel_pct = 101 %LEL is outside [0, 100] %LEL' });
  t.match(err(validateReadings(model, [{ metric: 'ch4_lel_pct', value: -0.1 }])), { code: 'OUT_OF_RANGE' });
  t.match(err(validateReadings(model, [{ metric: 'valve_state', state: 'ajar' }])), { code: 'OUT_OF_RANGE', message: 'valve_state state "ajar" is not one of closed, open' });
  t.match(err(validateReadings(model, [{ metric: 'ch4_lel_pct', state: 'high' }])), { code: 'WRONG_TYPE', message: /numeric/ });
  t.match(err(validateReadings(model, [{ metric: 'valve_state', value: 1 }])), { code: 'WRONG_TYPE', message: /is a state/ });
  t.match(err(validateReadings(model, [{ metric: 'ch4_lel_pct' }])), { code: 'WRONG_TYPE', message: /exactly one of value or state/ });
  t.match(err(validateReadings(model, [{ metric: 'ch4_lel_pct', value: 1, state: 'x' }])), { code: 'WRONG_TYPE' });
  t.match(err(validateReadings(model, [{ metric: 'ch4_lel_pct', value: Number.NaN }])), { code: 'WRONG_TYPE', message: /finite/ });
  t.match(err(validateReadings(model, [{ metric: 'ch4_lel_pct', value: 1, time: 1.5 }])), { code: 'WRONG_TYPE', message: /time/ });
  t.match(err(validateReadings(model, [{ metric: 'ch4_lel_pct', value: 1, seq: -1 }])), { code: 'WRONG_TYPE', message: /seq/ });
  const wrongShape = [{ metric: 'ch4_lel_pct', value: '5' }] as unknown as Reading[];
  t.match(err(validateReadings(model, wrongShape)), { code: 'WRONG_TYPE' }, 'a string value from a careless adapter');
});

void t.test('open adapters accept any well-named metric but still check exposed ones', async (t) => {
  t.ok(validateReadings(open, [{ metric: 'pm2_5', value: 35 }, { metric: 'door', state: 'open' }]).ok);
  t.match(err(validateReadings(open, [{ metric: 'Bad-Name', value: 1 }])), { code: 'UNKNOWN_METRIC', message: /must match/ });
  t.match(err(validateReadings(open, [{ metric: 'depth_cm', value: 400 }])), { code: 'OUT_OF_RANGE' });
});

void t.test('decodeAndValidate turns a throwing adapter into MALFORMED and validates the rest', async (t) => {
  const throwing: SensorAdapter = { ...model, decode: () => { throw new Error('boom'); } };
  t.match(decodeAndValidate(throwing, new Uint8Array(0), ctx), { ok: false, error: { code: 'MALFORMED', message: /test-model failed on this payload: boom/ } });
  const lying: SensorAdapter = { ...model, decode: () => ok([{ metric: 'ch4_lel_pct', value: 500 }]) };
  t.match(decodeAndValidate(lying, new Uint8Array(0), ctx), { ok: false, error: { code: 'OUT_OF_RANGE' } });
});

void t.test('platformToReadings maps properties by type', async (t) => {
  const msg = (properties: PlatformMessage['properties'], extra: Partial<PlatformMessage> = {}): PlatformMessage => ({ externalId: 'x', properties, ...extra });
  t.same(platformToReadings(msg({ ch4_lel_pct: 12, valve_state: 'open', mode: 'auto' }, { time: 5000 }), model, ctx), {
    ok: true,
    readings: [
      { metric: 'ch4_lel_pct', value: 12, time: 5000 },
      { metric: 'valve_state', state: 'open', time: 5000 },
      { metric: 'mode', state: 'auto', time: 5000 },
    ],
  });
  const one = (p: PlatformMessage['properties']) => {
    const r = platformToReadings(msg(p), model, ctx);
    return r.ok ? r.readings : r.error;
  };
  t.same(one({ valve_state: 1 }), [{ metric: 'valve_state', state: 'open' }], 'number through codes');
  t.same(one({ valve_state: false }), [{ metric: 'valve_state', state: 'closed' }], 'boolean through codes');
  t.same(one({ armed: true }), [{ metric: 'armed', state: 'true' }], "boolean without codes → 'true'");
  t.same(one({ ch4_lel_pct: true }), [{ metric: 'ch4_lel_pct', value: 1 }], 'boolean on a numeric metric → 1');
  t.match(one({ ch4_lel_pct: '12' }), { code: 'WRONG_TYPE', field: '/properties/ch4_lel_pct', message: /expected a number/ });
  t.match(one({ valve_state: 7 }), { code: 'OUT_OF_RANGE', message: /code 7 is not one of 0=closed, 1=open/ });
  t.match(one({ mode: 1 }), { code: 'WRONG_TYPE', message: /expected a state/ });
  t.match(one({ mode: 'eco' }), { code: 'OUT_OF_RANGE' }, 'state strings are still validated');
  t.match(one({ Battery_Level: 80 }), { code: 'UNKNOWN_METRIC', message: /property "Battery_Level" has no metric in adapter test-model.*rename.*ignore/ });
  t.same(one({ RSRP: -90, IMEI: '860374051096202', ch4_lel_pct: 3 }), [{ metric: 'ch4_lel_pct', value: 3 }], 'radio diagnostics dropped');
});

void t.test('platformToReadings: rename, ignore, open adapters', async (t) => {
  const m: PlatformMessage = { externalId: 'x', properties: { gas: 30, fw: '1.2.3' } };
  t.same(platformToReadings(m, model, { ...ctx, rename: { gas: 'ch4_lel_pct' }, ignore: ['fw'] }), { ok: true, readings: [{ metric: 'ch4_lel_pct', value: 30 }] });
  t.same(platformToReadings({ externalId: 'x', properties: { pm2_5: 35, door: true } }, open, ctx), {
    ok: true,
    readings: [{ metric: 'pm2_5', value: 35 }, { metric: 'door', state: 'true' }],
  });
});

void t.test('platformToReadings decodes raw with the device adapter, keeping the device time', async (t) => {
  const { manholeCoverCtv } = await import('./manhole-cover-ctv.js');
  const raw = encodeCtvFrame({ seq: 9, time: 0, records: [{ channel: 0x06, type: 0x06, value: 50 }] });
  t.same(platformToReadings({ externalId: 'x', properties: {}, raw, time: 7000 }, manholeCoverCtv, ctx), {
    ok: true,
    readings: [{ metric: 'battery_pct', value: 50, seq: 9, time: 7000 }],
  }, 'no device clock → the platform time');
  const bad = Uint8Array.from(raw);
  bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
  t.match(platformToReadings({ externalId: 'x', properties: {}, raw: bad }, manholeCoverCtv, ctx), { ok: false, error: { code: 'BAD_CHECKSUM' } });
});

void t.test('require* answer GW_ERR_UNKNOWN_ADAPTER', async (t) => {
  t.equal(requireSensorAdapter('generic-json').id, 'generic-json');
  t.equal(requirePlatformAdapter('onenet').id, 'onenet');
  for (const f of [() => requireSensorAdapter('nope'), () => requirePlatformAdapter('nope')]) {
    try {
      f();
      t.fail('should throw');
    } catch (e) {
      t.ok(isGatewayError(e) && e.code === 'GW_ERR_UNKNOWN_ADAPTER' && e.status === 404);
    }
  }
});

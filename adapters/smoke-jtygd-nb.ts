/**
 * NB-IoT independent photoelectric smoke alarm (JTY-GD class, GB 20517), vendor JSON with a
 * numeric event code, epoch-second clock and frame counter:
 *
 *   {"imei": "860374051096202", "ts": 1717000000, "seq": 5, "event": 1,
 *    "obscuration": 3.2, "temp": 26.5, "battery": 80}
 *
 * event: 0 normal (heartbeat), 1 alarm, 2 silenced (hushed by the button), 3 fault,
 * 4 tamper (taken off its base), 5 low battery, 6 test (button test).
 */
import { Type } from 'typebox';
import type { SensorAdapter } from './types.js';
import { flatJsonModel } from './lib/json-model.js';
import { batteryPct, coded, numeric, temperatureC } from './lib/metrics.js';
import { epochSecondsClock } from './lib/time.js';

const Payload = Type.Object({
  imei: Type.Optional(Type.String({ pattern: '^[0-9]{15}$' })),
  ts: Type.Integer(),
  seq: Type.Integer({ minimum: 0, maximum: 65535 }),
  event: Type.Integer(),
  obscuration: Type.Optional(Type.Number()),
  temp: Type.Optional(Type.Number()),
  battery: Type.Optional(Type.Number()),
});

const alarmState = coded({
  name: 'alarm_state',
  description: 'Detector state from the last event (alarm = smoke detected).',
  codes: { 0: 'normal', 1: 'alarm', 2: 'silenced', 3: 'fault', 4: 'tamper', 5: 'low_battery', 6: 'test' },
});

/** The IMEI is sent only when the device id carries one (15 digits). */
const imeiOf = (deviceId: string) => {
  const digits = deviceId.replace(/\D/g, '');
  return digits.length === 15 ? digits : undefined;
};

export const smokeJtygdNb: SensorAdapter = {
  id: 'smoke-jtygd-nb',
  vendor: 'Generic',
  model: 'JTY-GD NB-IoT smoke alarm',
  kind: 'smoke',
  description: 'Independent photoelectric smoke alarm over NB-IoT: event code (alarm, silenced, fault, tamper, low battery, test), smoke obscuration, temperature, battery.',
  topics: ['up', 'event'],
  ...flatJsonModel({
    schema: Payload,
    timeKey: 'ts',
    clock: epochSecondsClock,
    seqKey: 'seq',
    seqMask: 0xffff, // a 16-bit counter on the wire
    idKey: 'imei',
    idFrom: imeiOf,
    fields: [
      { key: 'event', metric: alarmState, default: 'normal', codesText: 'a known event code (0–6)' },
      { key: 'obscuration', metric: numeric({ name: 'obscuration_pct_m', unit: '%/m', min: 0, max: 100, description: 'Smoke obscuration in the chamber (percent per metre).' }) },
      { key: 'temp', metric: temperatureC('temperature_c', -20, 80, 'Air temperature at the detector.') },
      { key: 'battery', metric: batteryPct },
    ],
  }),
};

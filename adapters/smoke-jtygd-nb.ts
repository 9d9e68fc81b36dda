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
import type { Reading, SensorAdapter } from './types.js';
import { checkSchema, jsonBytes, parseJson } from './lib/json.js';
import { batteryPct, codeFor, coded, numeric, temperatureC } from './lib/metrics.js';
import { fail, ok, reading } from './lib/result.js';
import { fromEpochSeconds } from './lib/time.js';

const alarmState = coded({
  name: 'alarm_state',
  description: 'Detector state from the last event (alarm = smoke detected).',
  codes: { 0: 'normal', 1: 'alarm', 2: 'silenced', 3: 'fault', 4: 'tamper', 5: 'low_battery', 6: 'test' },
});

const Payload = Type.Object({
  imei: Type.Optional(Type.String({ pattern: '^[0-9]{15}$' })),
  ts: Type.Integer(),
  seq: Type.Integer({ minimum: 0, maximum: 65535 }),
  event: Type.Integer(),
  obscuration: Type.Optional(Type.Number()),
  temp: Type.Optional(Type.Number()),
  battery: Type.Optional(Type.Number()),
});

const numericFields = [
  ['obscuration', 'obscuration_pct_m'],
  ['temp', 'temperature_c'],
  ['battery', 'battery_pct'],
] as const;

export const smokeJtygdNb: SensorAdapter = {
  id: 'smoke-jtygd-nb',
  vendor: 'Generic',
  model: 'JTY-GD NB-IoT smoke alarm',
  kind: 'smoke',
  description: 'Independent photoelectric smoke alarm over NB-IoT: event code (alarm, silenced, fault, tamper, low battery, test), smoke obscuration, temperature, battery.',
  encoding: 'json',
  topics: ['up', 'event'],
  exposes: [
    alarmState,
    numeric({ name: 'obscuration_pct_m', unit: '%/m', min: 0, max: 100, description: 'Smoke obscuration in the chamber (percent per metre).' }),
    temperatureC('temperature_c', -20, 80, 'Air temperature at the detector.'),
    batteryPct,
  ],
  decode(payload) {
    const json = parseJson(payload);
    if (!json.ok) return json;
    const checked = checkSchema(Payload, json.value);
    if (!checked.ok) return checked;
    const p = checked.value;
    const t = fromEpochSeconds(p.ts);
    if (!t.ok) return fail('WRONG_TYPE', `/ts ${t.message}`, '/ts');
    const meta = { time: t.time, seq: p.seq };
    const state = alarmState.codes?.[p.event];
    if (state === undefined) return fail('OUT_OF_RANGE', `/event ${p.event} is not a known event code (0–6)`, '/event');
    const readings: Reading[] = [reading('alarm_state', state, meta)];
    for (const [key, metric] of numericFields) {
      const v = p[key];
      if (v !== undefined) readings.push(reading(metric, v, meta));
    }
    return ok(readings);
  },
  encode(deviceId, values, opts) {
    const event = codeFor(alarmState, values.alarm_state ?? 'normal');
    const body: Record<string, unknown> = { ts: Math.floor(opts.time / 1000), seq: opts.seq & 0xffff, event };
    const imei = deviceId.replace(/\D/g, '');
    if (imei.length === 15) body.imei = imei;
    for (const [key, metric] of numericFields) if (values[metric] !== undefined) body[key] = values[metric];
    return jsonBytes(body);
  },
};

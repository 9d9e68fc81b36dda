/**
 * Road waterlogging (积水) depth gauge, JSON over MQTT. Ultrasonic / pressure gauges of this
 * class report depth in centimetres with a device clock and a frame counter:
 *
 *   {"ts": 1717000000000, "seq": 17, "depth": 12.5, "battery": 87, "waterTemp": 18.2}
 *
 * `ts` is ms since epoch or ISO-8601 with offset; `depth` is required, the rest optional.
 */
import { Type } from 'typebox';
import type { Reading, SensorAdapter } from './types.js';
import { checkSchema, jsonBytes, parseJson } from './lib/json.js';
import { batteryPct, numeric, temperatureC } from './lib/metrics.js';
import { fail, ok, reading } from './lib/result.js';
import { parseTimestamp } from './lib/time.js';

const Payload = Type.Object({
  ts: Type.Union([Type.Number(), Type.String()]),
  seq: Type.Integer({ minimum: 0, maximum: 4294967295 }),
  depth: Type.Number(),
  battery: Type.Optional(Type.Number()),
  waterTemp: Type.Optional(Type.Number()),
});

const fields = [
  ['depth', 'depth_cm'],
  ['battery', 'battery_pct'],
  ['waterTemp', 'water_temp_c'],
] as const;

export const waterloggingJson: SensorAdapter = {
  id: 'waterlogging-json',
  vendor: 'Generic',
  model: 'Road waterlogging gauge (JSON)',
  kind: 'waterlogging',
  description: 'Road / underpass waterlogging depth gauge reporting depth (cm), battery and water temperature as JSON.',
  encoding: 'json',
  topics: ['up'],
  exposes: [
    numeric({ name: 'depth_cm', unit: 'cm', min: 0, max: 300, description: 'Standing water depth above the road surface.' }),
    batteryPct,
    temperatureC('water_temp_c', -20, 60, 'Water temperature at the probe.'),
  ],
  decode(payload) {
    const json = parseJson(payload);
    if (!json.ok) return json;
    const checked = checkSchema(Payload, json.value);
    if (!checked.ok) return checked;
    const p = checked.value;
    const t = parseTimestamp(p.ts);
    if (!t.ok) return fail('WRONG_TYPE', `/ts ${t.message}`, '/ts');
    const readings: Reading[] = [];
    for (const [key, metric] of fields) {
      const v = p[key];
      if (v !== undefined) readings.push(reading(metric, v, { time: t.time, seq: p.seq }));
    }
    return ok(readings);
  },
  encode(_deviceId, values, opts) {
    const body: Record<string, unknown> = { ts: opts.time, seq: opts.seq };
    for (const [key, metric] of fields) if (values[metric] !== undefined) body[key] = values[metric];
    return jsonBytes(body);
  },
};

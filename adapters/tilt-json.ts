/**
 * Structural tilt sensor (buildings, retaining walls, poles), JSON over MQTT — also the worked
 * example in docs/adapters.md "Adding a device model":
 *
 *   {"time": 1716955200000, "seq": 3, "angleX": 0.52, "angleY": -0.13, "angleZ": 89.9}
 */
import { Type } from 'typebox';
import type { Reading, SensorAdapter } from './types.js';
import { checkSchema, jsonBytes, parseJson } from './lib/json.js';
import { numeric } from './lib/metrics.js';
import { fail, ok, reading } from './lib/result.js';
import { parseTimestamp } from './lib/time.js';

const Payload = Type.Object({
  time: Type.Union([Type.Number(), Type.String()]),
  seq: Type.Integer({ minimum: 0 }),
  angleX: Type.Number(),
  angleY: Type.Number(),
  angleZ: Type.Optional(Type.Number()),
});

const axes = [
  ['angleX', 'angle_x_deg'],
  ['angleY', 'angle_y_deg'],
  ['angleZ', 'angle_z_deg'],
] as const;

const angle = (axis: string) => numeric({ name: `angle_${axis}_deg`, unit: '°', min: -180, max: 180, description: `Inclination about the ${axis} axis.` });

export const tiltJson: SensorAdapter = {
  id: 'tilt-json',
  vendor: 'Generic',
  model: 'Structural tilt sensor (JSON)',
  kind: 'tilt',
  description: 'Dual/triple-axis inclinometer for structures, reporting angles in degrees.',
  encoding: 'json',
  topics: ['up'],
  exposes: [angle('x'), angle('y'), angle('z')],
  decode(payload) {
    const json = parseJson(payload);
    if (!json.ok) return json;
    const checked = checkSchema(Payload, json.value);
    if (!checked.ok) return checked;
    const p = checked.value;
    const t = parseTimestamp(p.time);
    if (!t.ok) return fail('WRONG_TYPE', `/time ${t.message}`, '/time');
    const readings: Reading[] = [];
    for (const [key, metric] of axes) {
      const v = p[key];
      if (v !== undefined) readings.push(reading(metric, v, { time: t.time, seq: p.seq }));
    }
    return ok(readings);
  },
  encode(_deviceId, values, opts) {
    const body: Record<string, unknown> = { time: opts.time, seq: opts.seq };
    for (const [key, metric] of axes) if (values[metric] !== undefined) body[key] = values[metric];
    return jsonBytes(body);
  },
};

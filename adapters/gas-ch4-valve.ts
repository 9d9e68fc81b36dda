/**
 * Commercial-kitchen combustible gas detector (CH4) with a linked shut-off valve, vendor JSON
 * with a Beijing-time clock string (the usual form in Chinese vendor payloads):
 *
 *   {"devId": "GAS-0001", "time": "2024-05-29 12:00:00", "sn": 12,
 *    "ch4": 12.5, "valve": 1, "sensor": 0}
 *
 * ch4 in %LEL (0–100); valve 0 closed / 1 open; sensor 0 normal / 1 fault / 2 warming up (预热).
 * Alarm thresholds (25 / 50 %LEL, GB/T 50493-2019) are rules, not device fields.
 */
import { Type } from 'typebox';
import type { Reading, SensorAdapter } from './types.js';
import { checkSchema, jsonBytes, parseJson } from './lib/json.js';
import { codeFor, codeList, coded, numeric } from './lib/metrics.js';
import { fail, ok, reading } from './lib/result.js';
import { formatBeijingText, parseBeijingText } from './lib/time.js';

const valveState = coded({ name: 'valve_state', description: 'Shut-off valve position.', codes: { 0: 'closed', 1: 'open' } });
const sensorState = coded({ name: 'sensor_state', description: 'Gas sensor health.', codes: { 0: 'normal', 1: 'fault', 2: 'warming_up' } });

const Payload = Type.Object({
  devId: Type.Optional(Type.String({ maxLength: 64 })),
  time: Type.String(),
  sn: Type.Integer({ minimum: 0, maximum: 4294967295 }),
  ch4: Type.Optional(Type.Number()),
  valve: Type.Optional(Type.Integer()),
  sensor: Type.Optional(Type.Integer()),
});

export const gasCh4Valve: SensorAdapter = {
  id: 'gas-ch4-valve',
  vendor: 'Generic',
  model: 'CH4 detector with shut-off valve (JSON)',
  kind: 'gas',
  description: 'Combustible gas (methane) detector reporting concentration in %LEL, the linked shut-off valve and sensor health.',
  encoding: 'json',
  topics: ['up', 'event'],
  exposes: [
    numeric({ name: 'ch4_lel_pct', unit: '%LEL', min: 0, max: 100, description: 'Methane concentration as percent of the lower explosive limit.' }),
    valveState,
    sensorState,
  ],
  decode(payload) {
    const json = parseJson(payload);
    if (!json.ok) return json;
    const checked = checkSchema(Payload, json.value);
    if (!checked.ok) return checked;
    const p = checked.value;
    const t = parseBeijingText(p.time);
    if (!t.ok) return fail('WRONG_TYPE', `/time ${t.message}`, '/time');
    const meta = { time: t.time, seq: p.sn };
    const readings: Reading[] = [];
    if (p.ch4 !== undefined) readings.push(reading('ch4_lel_pct', p.ch4, meta));
    for (const [key, metric] of [['valve', valveState], ['sensor', sensorState]] as const) {
      const code = p[key];
      if (code === undefined) continue;
      const s = metric.codes?.[code];
      if (s === undefined) return fail('OUT_OF_RANGE', `/${key} ${code} is not one of ${codeList(metric)}`, `/${key}`);
      readings.push(reading(metric.name, s, meta));
    }
    return ok(readings);
  },
  encode(deviceId, values, opts) {
    const body: Record<string, unknown> = { devId: deviceId, time: formatBeijingText(opts.time), sn: opts.seq };
    if (typeof values.ch4_lel_pct === 'number') body.ch4 = values.ch4_lel_pct;
    if (values.valve_state !== undefined) body.valve = codeFor(valveState, values.valve_state);
    if (values.sensor_state !== undefined) body.sensor = codeFor(sensorState, values.sensor_state);
    return jsonBytes(body);
  },
};

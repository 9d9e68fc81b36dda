/**
 * The canonical payload (docs/adapters.md "Canonical generic JSON"): a device that can shape
 * its own JSON names its metrics and needs no vendor adapter.
 *
 *   {"ts": 1717000000000 | "2024-05-29T12:00:00+08:00", "seq": 42,
 *    "readings": [{"metric": "depth_cm", "value": 12.5}, {"metric": "door", "state": "open"}]}
 */
import { Type } from 'typebox';
import type { SensorAdapter } from './types.js';
import { jsonBytes, parseJsonAs } from './lib/json.js';
import { deviceTime } from './lib/json-model.js';
import { ok, reading } from './lib/result.js';
import { parseTimestamp } from './lib/time.js';

const metricName = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' });

const Payload = Type.Object({
  ts: Type.Optional(Type.Union([Type.Number(), Type.String()])),
  seq: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
  readings: Type.Array(
    Type.Union([
      Type.Object({ metric: metricName, value: Type.Number() }, { additionalProperties: false }),
      Type.Object({ metric: metricName, state: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
    ]),
    { minItems: 1, maxItems: 256 },
  ),
});

export const genericJson: SensorAdapter = {
  id: 'generic-json',
  vendor: 'CityOps',
  model: 'Generic JSON',
  kind: 'generic',
  description: 'The canonical CityOps JSON payload: the device names its own metrics (numbers or states).',
  encoding: 'json',
  topics: ['up', 'event'],
  exposes: [],
  openMetrics: true,
  decode(payload) {
    const checked = parseJsonAs(Payload, payload);
    if (!checked.ok) return checked;
    const { ts, seq, readings } = checked.value;
    const t = deviceTime('ts', ts, parseTimestamp);
    if (!t.ok) return t;
    return ok(readings.map((r) => reading(r.metric, 'value' in r ? r.value : r.state, { time: t.time, seq })));
  },
  encode(_deviceId, values, opts) {
    const readings = Object.entries(values).map(([metric, v]) => (typeof v === 'number' ? { metric, value: v } : { metric, state: v }));
    return jsonBytes({ ts: opts.time, seq: opts.seq, readings });
  },
};

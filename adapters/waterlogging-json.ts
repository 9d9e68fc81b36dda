/**
 * Road waterlogging (积水) depth gauge, JSON over MQTT. Ultrasonic / pressure gauges of this
 * class report depth in centimetres with a device clock and a frame counter:
 *
 *   {"ts": 1717000000000, "seq": 17, "depth": 12.5, "battery": 87, "waterTemp": 18.2}
 *
 * `ts` is ms since epoch or ISO-8601 with offset; `depth` is required, the rest optional.
 */
import { Type } from 'typebox';
import type { SensorAdapter } from './types.js';
import { flatJsonModel } from './lib/json-model.js';
import { batteryPct, numeric, temperatureC } from './lib/metrics.js';
import { msOrIsoClock } from './lib/time.js';

const Payload = Type.Object({
  ts: Type.Union([Type.Number(), Type.String()]),
  seq: Type.Integer({ minimum: 0, maximum: 4294967295 }),
  depth: Type.Number(),
  battery: Type.Optional(Type.Number()),
  waterTemp: Type.Optional(Type.Number()),
});

export const waterloggingJson: SensorAdapter = {
  id: 'waterlogging-json',
  vendor: 'Generic',
  model: 'Road waterlogging gauge (JSON)',
  kind: 'waterlogging',
  description: 'Road / underpass waterlogging depth gauge reporting depth (cm), battery and water temperature as JSON.',
  topics: ['up'],
  ...flatJsonModel({
    schema: Payload,
    timeKey: 'ts',
    clock: msOrIsoClock,
    seqKey: 'seq',
    fields: [
      { key: 'depth', metric: numeric({ name: 'depth_cm', unit: 'cm', min: 0, max: 300, description: 'Standing water depth above the road surface.' }) },
      { key: 'battery', metric: batteryPct },
      { key: 'waterTemp', metric: temperatureC('water_temp_c', -20, 60, 'Water temperature at the probe.') },
    ],
  }),
};

/**
 * Structural tilt sensor (buildings, retaining walls, poles), JSON over MQTT — also the worked
 * example in docs/adapters.md "Adding a device model":
 *
 *   {"time": 1716955200000, "seq": 3, "angleX": 0.52, "angleY": -0.13, "angleZ": 89.9}
 */
import { Type } from 'typebox';
import type { SensorAdapter } from './types.js';
import { flatJsonModel } from './lib/json-model.js';
import { numeric } from './lib/metrics.js';
import { msOrIsoClock } from './lib/time.js';

const Payload = Type.Object({
  time: Type.Union([Type.Number(), Type.String()]),
  seq: Type.Integer({ minimum: 0 }),
  angleX: Type.Number(),
  angleY: Type.Number(),
  angleZ: Type.Optional(Type.Number()),
});

const angle = (axis: string) => numeric({ name: `angle_${axis}_deg`, unit: '°', min: -180, max: 180, description: `Inclination about the ${axis} axis.` });

export const tiltJson: SensorAdapter = {
  id: 'tilt-json',
  vendor: 'Generic',
  model: 'Structural tilt sensor (JSON)',
  kind: 'tilt',
  description: 'Dual/triple-axis inclinometer for structures, reporting angles in degrees.',
  topics: ['up'],
  ...flatJsonModel({
    schema: Payload,
    timeKey: 'time',
    clock: msOrIsoClock,
    seqKey: 'seq',
    fields: [
      { key: 'angleX', metric: angle('x') },
      { key: 'angleY', metric: angle('y') },
      { key: 'angleZ', metric: angle('z') },
    ],
  }),
};

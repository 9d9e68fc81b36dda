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
import type { SensorAdapter } from './types.js';
import { flatJsonModel } from './lib/json-model.js';
import { coded, numeric } from './lib/metrics.js';
import { beijingTextClock } from './lib/time.js';

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
  topics: ['up', 'event'],
  ...flatJsonModel({
    schema: Payload,
    timeKey: 'time',
    clock: beijingTextClock,
    seqKey: 'sn',
    idKey: 'devId',
    fields: [
      { key: 'ch4', metric: numeric({ name: 'ch4_lel_pct', unit: '%LEL', min: 0, max: 100, description: 'Methane concentration as percent of the lower explosive limit.' }) },
      { key: 'valve', metric: coded({ name: 'valve_state', description: 'Shut-off valve position.', codes: { 0: 'closed', 1: 'open' } }) },
      { key: 'sensor', metric: coded({ name: 'sensor_state', description: 'Gas sensor health.', codes: { 0: 'normal', 1: 'fault', 2: 'warming_up' } }) },
    ],
  }),
};

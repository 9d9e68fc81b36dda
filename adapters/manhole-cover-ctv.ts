/**
 * Manhole cover (井盖) multi-sensor over NB-IoT / LoRaWAN, sending CTV binary frames
 * (codecs/ctv.ts; byte layout and an annotated example in docs/adapters.md).
 */
import type { SensorAdapter } from './types.js';
import { ctvModel } from './lib/ctv-model.js';
import { batteryPct, coded, numeric } from './lib/metrics.js';

const tilt = (axis: 'x' | 'y') =>
  numeric({ name: `tilt_${axis}_deg`, unit: '°', min: -90, max: 90, description: `Cover tilt about the ${axis} axis (0.01° resolution).` });

export const manholeCoverCtv: SensorAdapter = {
  id: 'manhole-cover-ctv',
  vendor: 'Generic',
  model: 'Manhole cover multi-sensor (CTV frame)',
  kind: 'manhole_cover',
  description: 'Manhole cover monitor: tilt x/y, open switch, water level and water contact under the cover, battery.',
  topics: ['up', 'event'],
  ...ctvModel([
    { channel: 0x01, type: 0x01, metric: tilt('x') },
    { channel: 0x02, type: 0x01, metric: tilt('y') },
    { channel: 0x03, type: 0x02, metric: coded({ name: 'cover_state', description: 'Open switch: whether the cover is lifted off its frame.', codes: { 0: 'closed', 1: 'open' } }) },
    { channel: 0x04, type: 0x03, metric: numeric({ name: 'water_level_cm', unit: 'cm', min: 0, max: 500, description: 'Water level in the well, measured up from the well floor.' }) },
    { channel: 0x05, type: 0x02, metric: coded({ name: 'water_state', description: 'Water-contact probe just under the cover (the well is about to overflow).', codes: { 0: 'dry', 1: 'water' } }) },
    { channel: 0x06, type: 0x06, metric: batteryPct },
  ]),
};

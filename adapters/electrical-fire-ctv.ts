/**
 * Electrical fire monitoring detector (电气火灾监控探测器, GB 14287): residual current and up to
 * four line temperatures, plus the detector's own event, sent as CTV binary frames through a
 * 4G/NB DTU. The same CTV codec as the manhole cover, with this model's channel table.
 */
import type { SensorAdapter } from './types.js';
import { ctvModel, type CtvChannel } from './lib/ctv-model.js';
import { coded, numeric, temperatureC } from './lib/metrics.js';

const lineTemp = (line: 1 | 2 | 3 | 4): CtvChannel => ({
  channel: 0x10 + line,
  type: 0x07,
  metric: temperatureC(`line_temp_${line}_c`, -40, 200, `Temperature of line ${line} at the sensor (0.1 °C resolution).`),
});

export const electricalFireCtv: SensorAdapter = {
  id: 'electrical-fire-ctv',
  vendor: 'Generic',
  model: 'Electrical fire monitoring detector (CTV frame)',
  kind: 'electrical_fire',
  description: 'Electrical fire monitor: residual (leakage) current, line temperatures 1–4, detector event (leakage, over-temperature, short circuit, overload).',
  topics: ['up', 'event'],
  ...ctvModel([
    { channel: 0x01, type: 0x03, metric: numeric({ name: 'residual_current_ma', unit: 'mA', min: 0, max: 3000, description: 'Residual (leakage) current; alarm typically 300–500 mA (GB 50116-2013 §9.2.3).' }) },
    lineTemp(1),
    lineTemp(2),
    lineTemp(3),
    lineTemp(4),
    {
      channel: 0x20,
      type: 0x06,
      metric: coded({
        name: 'event_state',
        description: "The detector's own alarm state.",
        codes: { 0: 'normal', 1: 'leakage', 2: 'over_temperature', 3: 'short_circuit', 4: 'overload' },
      }),
    },
  ]),
};

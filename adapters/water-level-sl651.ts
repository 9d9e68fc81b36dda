/**
 * River / tide level station speaking SL 651-2014 HEX frames (codecs/sl651.ts): timed (32H),
 * extra (33H, threshold-triggered), hourly (34H) and test (30H) reports become readings stamped
 * with the F0F0 observation time and the frame's serial number; a link-keep frame (2FH) decodes
 * to no readings (it still counts as a sign of life).
 */
import type { Reading, SensorAdapter } from './types.js';
import { unwrapHexText } from './codecs/bytes.js';
import { decodeSl651, encodeSl651, sl651Function, type Sl651Encode } from './codecs/sl651.js';
import { numeric } from './lib/metrics.js';
import { ok, reading } from './lib/result.js';

/** Element identifier → metric (SL 651-2014 element identifier table). */
const metricById = { 0x39: 'level_m', 0x20: 'rain_mm', 0x26: 'rain_total_mm', 0x38: 'battery_v' } as const;

/** SL 651 addresses stations by 10 BCD digits: the digits of the device id, right-aligned. */
export function stationAddressOf(deviceId: string): string {
  return deviceId.replace(/\D/g, '').slice(-10).padStart(10, '0');
}

export const waterLevelSl651: SensorAdapter = {
  id: 'water-level-sl651',
  vendor: 'Generic',
  model: 'SL 651-2014 hydrological telemetry station (HEX)',
  kind: 'water_level',
  description: 'River or tide level station (RTU) sending SL 651-2014 HEX/BCD frames: water level Z, rainfall PJ/PT, supply voltage VT.',
  encoding: 'binary',
  topics: ['up'],
  exposes: [
    numeric({ name: 'level_m', unit: 'm', min: -100, max: 9999, description: 'Instantaneous river / tide level Z (瞬时河道水位、潮位) above the station datum.' }),
    numeric({ name: 'rain_mm', unit: 'mm', min: 0, max: 9999.9, description: 'Current precipitation PJ (当前降水量).' }),
    numeric({ name: 'rain_total_mm', unit: 'mm', min: 0, max: 99999.9, description: 'Accumulated precipitation PT (降水量累计值).' }),
    numeric({ name: 'battery_v', unit: 'V', min: 0, max: 30, description: 'Supply voltage VT (电源电压).' }),
  ],
  decode(payload) {
    const res = decodeSl651(unwrapHexText(payload, 0x7e));
    if (!res.ok) return res;
    const readings: Reading[] = [];
    for (const g of res.frame.groups) {
      for (const e of g.elements) {
        const metric = metricById[e.id as keyof typeof metricById];
        // The station's "invalid data" marker means no reading, not zero.
        if (metric !== undefined && e.value !== null) readings.push(reading(metric, e.value, { time: g.time, seq: res.frame.serial }));
      }
    }
    return ok(readings);
  },
  encode(deviceId, values, opts) {
    const elements: NonNullable<Sl651Encode['elements']> = [];
    for (const [id, metric] of Object.entries(metricById)) {
      const v = values[metric];
      if (typeof v === 'number') elements.push({ id: Number(id) as keyof typeof metricById, value: v });
    }
    return encodeSl651({
      functionCode: sl651Function.timed,
      station: stationAddressOf(deviceId),
      serial: opts.seq & 0xffff,
      sendTime: opts.time,
      observationTime: opts.time,
      elements,
    });
  },
};

/**
 * Encoders the simulators use to produce each adapter's real payload (JSON bytes, an SL 651
 * frame, a CTV frame). Each adapter carries its own `encode`; this is the lookup by id.
 */
import type { Encoder } from './types.js';
import { sensorAdapters } from './index.js';

export type { Encoder, EncodeOptions } from './types.js';
export { encodeSl651, sl651Function, type Sl651Encode } from './codecs/sl651.js';
export { encodeCtvFrame, type CtvFrame } from './codecs/ctv.js';

export const encoders: Readonly<Record<string, Encoder>> = Object.fromEntries(
  sensorAdapters.flatMap((a) => (a.encode ? [[a.id, a.encode] as const] : [])),
);

export function getEncoder(adapterId: string): Encoder | undefined {
  return Object.hasOwn(encoders, adapterId) ? encoders[adapterId] : undefined;
}

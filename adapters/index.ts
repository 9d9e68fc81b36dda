/**
 * The adapter registry: every sensor and platform adapter is listed here, and
 * adapters/contract.test.ts fails when a file under adapters/ exports one that is not.
 */
import { GatewayError } from '../gateway/core/errors.js';
import type { PlatformAdapter, SensorAdapter } from './types.js';
import { electricalFireCtv } from './electrical-fire-ctv.js';
import { gasCh4Valve } from './gas-ch4-valve.js';
import { genericJson } from './generic-json.js';
import { manholeCoverCtv } from './manhole-cover-ctv.js';
import { ctwing } from './platforms/ctwing.js';
import { onenet } from './platforms/onenet.js';
import { smokeJtygdNb } from './smoke-jtygd-nb.js';
import { tiltJson } from './tilt-json.js';
import { waterLevelSl651 } from './water-level-sl651.js';
import { waterloggingJson } from './waterlogging-json.js';

export const sensorAdapters: readonly SensorAdapter[] = [
  genericJson,
  waterloggingJson,
  waterLevelSl651,
  smokeJtygdNb,
  manholeCoverCtv,
  gasCh4Valve,
  electricalFireCtv,
  tiltJson,
];

export const platformAdapters: readonly PlatformAdapter[] = [ctwing, onenet];

const sensorById = new Map(sensorAdapters.map((a) => [a.id, a]));
const platformById = new Map(platformAdapters.map((a) => [a.id, a]));

export function getSensorAdapter(id: string): SensorAdapter | undefined {
  return sensorById.get(id);
}

export function getPlatformAdapter(id: string): PlatformAdapter | undefined {
  return platformById.get(id);
}

/** Like getSensorAdapter, for callers that answer 404 on an unknown id. */
export function requireSensorAdapter(id: string): SensorAdapter {
  const a = sensorById.get(id);
  if (!a) throw new GatewayError('GW_ERR_UNKNOWN_ADAPTER', `no sensor adapter "${id}" (known: ${[...sensorById.keys()].join(', ')})`);
  return a;
}

export function requirePlatformAdapter(id: string): PlatformAdapter {
  const a = platformById.get(id);
  if (!a) throw new GatewayError('GW_ERR_UNKNOWN_ADAPTER', `no platform adapter "${id}" (known: ${[...platformById.keys()].join(', ')})`);
  return a;
}

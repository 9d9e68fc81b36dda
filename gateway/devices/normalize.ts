import type { ErrorDetail } from '../core/errors.js';
import { parseBlockCode } from './block-code.js';
import { toWgs84 } from './coords.js';
import type { DeviceInput, DevicePatch } from './schema.js';
import type { DeviceKind } from '../../adapters/types.js';

/** What the registry stores for a device, apart from credentials and status. */
export interface DeviceFields {
  name: string;
  kind: DeviceKind;
  adapter: string;
  vendor: string | null;
  ownerUnit: string | null;
  lon: number;
  lat: number;
  address: string | null;
  inputLon: number;
  inputLat: number;
  inputCrs: 'wgs84' | 'gcj02' | 'bd09';
  blockCode: string;
  tags: string[];
  platform: string | null;
  externalId: string | null;
  heartbeatMs: number | null;
  exercise: boolean;
}

/** What normalisation needs to know about adapters, without importing the registry itself. */
export interface AdapterLookup {
  sensor(id: string): { kind: DeviceKind } | undefined;
  platformExists(id: string): boolean;
}

export type Normalized = { ok: true; fields: DeviceFields } | { ok: false; errors: ErrorDetail[] };

/**
 * Business rules beyond the schema, shared by the API and bulk import: the adapter exists and
 * decodes this kind, the block code is a full block, coordinates become WGS-84, a platform
 * device names its platform and external id together.
 */
export function normalizeDevice(input: Omit<DeviceInput, 'id'>, adapters: AdapterLookup): Normalized {
  const errors: ErrorDetail[] = [];
  const adapter = adapters.sensor(input.adapter);
  if (!adapter) errors.push({ field: '/adapter', message: `unknown adapter "${input.adapter}" (GET /api/v1/adapters lists them)` });
  else if (adapter.kind !== 'generic' && adapter.kind !== input.kind) {
    errors.push({ field: '/kind', message: `adapter "${input.adapter}" decodes ${adapter.kind} devices, not ${input.kind}` });
  }
  const block = parseBlockCode(input.blockCode, { requireLevel: 'block' });
  if (!block.ok) errors.push({ field: '/blockCode', message: block.message });
  if (input.platform !== undefined && !adapters.platformExists(input.platform)) {
    errors.push({ field: '/platform', message: `unknown platform "${input.platform}"` });
  }
  if ((input.platform === undefined) !== (input.externalId === undefined)) {
    errors.push({ field: input.platform === undefined ? '/platform' : '/externalId', message: 'platform and externalId go together' });
  }
  if (errors.length > 0 || !block.ok) return { ok: false, errors };
  const crs = input.location.crs ?? 'wgs84';
  const wgs = toWgs84({ lon: input.location.lon, lat: input.location.lat }, crs);
  return {
    ok: true,
    fields: {
      name: input.name,
      kind: input.kind,
      adapter: input.adapter,
      vendor: input.vendor ?? null,
      ownerUnit: input.ownerUnit ?? null,
      lon: round7(wgs.lon),
      lat: round7(wgs.lat),
      address: input.location.address ?? null,
      inputLon: input.location.lon,
      inputLat: input.location.lat,
      inputCrs: crs,
      blockCode: block.code,
      tags: [...new Set(input.tags ?? [])],
      platform: input.platform ?? null,
      externalId: input.externalId ?? null,
      heartbeatMs: input.heartbeatMs ?? null,
      exercise: input.exercise ?? false,
    },
  };
}

/** Applies a PATCH to the current input form of a device, then normalises the result. */
export function mergePatch(current: Omit<DeviceInput, 'id'>, patch: DevicePatch): Omit<DeviceInput, 'id'> {
  const merged: Omit<DeviceInput, 'id'> = { ...current };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  return merged;
}

/** 1e-7 degrees is about 1 cm: more digits are noise. */
function round7(x: number): number {
  return Math.round(x * 1e7) / 1e7;
}

/**
 * The benchmark's devices and what they send: each device's adapter's own encoder (JSON, an
 * SL 651-2014 frame, a CTV binary frame) fed by the simulators' calm-day value model, encoded
 * ahead of time into ready-made PUBLISH packets so the measurement holds no encoding.
 */
import { getSensorAdapter } from '../../adapters/index.js';
import { decodeAndValidate } from '../../adapters/validate.js';
import type { DeviceKind, SensorAdapter } from '../../adapters/types.js';
import { wireResolutionMs } from '../../simulators/sensors/payloads.js';
import { createScenario, valuesForAdapter, type Values } from '../../simulators/sensors/scenarios.js';
import { publishLayout, writePublish } from './wire.js';

export interface BenchDevice {
  id: string;
  adapter: string;
  kind: DeviceKind;
}

/** The mix, one adapter per connection in turn; stems carry no digits (SL 651 addresses a station by the id's digits). */
export const adapterMix: ReadonlyArray<{ adapter: string; stem: string }> = [
  { adapter: 'waterlogging-json', stem: 'waterlogging' },
  { adapter: 'smoke-jtygd-nb', stem: 'smoke' },
  { adapter: 'gas-ch4-valve', stem: 'gas' },
  { adapter: 'manhole-cover-ctv', stem: 'manhole' },
  { adapter: 'water-level-sl651', stem: 'waterlevel' },
  { adapter: 'electrical-fire-ctv', stem: 'elecfire' },
];

/** Most readings one PUBLISH carries; a device sends 1..this many (the first k it exposes). */
export const MAX_READINGS_PER_MESSAGE = 4;

export function planDevices(count: number, prefix = 'bench'): BenchDevice[] {
  return Array.from({ length: count }, (_, i) => {
    const mix = adapterMix[i % adapterMix.length] as (typeof adapterMix)[number];
    return { id: `${prefix}-${mix.stem}-${String(i + 1).padStart(4, '0')}`, adapter: mix.adapter, kind: requireAdapter(mix.adapter).kind };
  });
}

export const upTopic = (deviceId: string): string => `cityops/v1/devices/${deviceId}/up`;

/** One device's payloads as PUBLISH packets laid back to back in one buffer (few objects, little GC). */
export interface PacketPool {
  deviceId: string;
  topic: string;
  count: number;
  packets: Buffer;
  /** Packet i is packets[offsets[i], offsets[i + 1]). */
  offsets: Uint32Array;
  /** Where packet i's packet id sits, from its start (the payload follows it). */
  idOffsets: Uint8Array;
  /** Readings the gateway decodes from packet i. */
  readings: Uint8Array;
}

function requireAdapter(id: string): SensorAdapter & { encode: NonNullable<SensorAdapter['encode']> } {
  const a = getSensorAdapter(id);
  if (!a?.encode) throw new Error(`bench: adapter ${id} is missing or has no encoder`);
  return a as SensorAdapter & { encode: NonNullable<SensorAdapter['encode']> };
}

const VALUE_SETS = 64;

/**
 * `count` payloads for one device, each with its own device time (a step of the wire format's
 * resolution apart, ending a minute before `nowMs`): the gateway keeps one reading per (device,
 * metric, time), so payloads that shared a time would be stored once and look like loss.
 */
export function buildPool(device: BenchDevice, count: number, nowMs: number, seed = 1): PacketPool {
  const adapter = requireAdapter(device.adapter);
  const scenario = createScenario('calm', { seed });
  const site = { id: device.id, kind: device.kind, ordinal: 1 };
  const names = adapter.exposes.map((m) => m.name);
  const maxK = Math.min(MAX_READINGS_PER_MESSAGE, names.length);
  // A calm day sampled every minute; message i sends the first k metrics of set i % 64.
  const sets: Values[] = Array.from({ length: VALUE_SETS }, (_, j) => valuesForAdapter(adapter, scenario, site, j * 60_000));
  const subset = (values: Values, k: number): Values => {
    const out: Values = {};
    for (const n of names.slice(0, k)) if (values[n] !== undefined) out[n] = values[n];
    return out;
  };
  const step = Math.max(1000, wireResolutionMs(adapter));
  const first = Math.floor((nowMs - 60_000) / step) * step - (count - 1) * step;
  const topic = Buffer.from(upTopic(device.id));

  // Check once per k that the gateway's own decode sees exactly k readings.
  for (let k = 1; k <= maxK; k++) {
    const bytes = adapter.encode(device.id, subset(sets[0] as Values, k), { time: first, seq: 0 });
    const res = decodeAndValidate(adapter, bytes, { deviceId: device.id, topic: upTopic(device.id), receivedAt: nowMs });
    if (!res.ok || res.readings.length !== k) throw new Error(`bench: ${adapter.id} payload with ${k} metrics decodes as ${res.ok ? `${res.readings.length} readings` : res.error.message}`);
  }

  const payloads: Uint8Array[] = new Array<Uint8Array>(count);
  const readings = new Uint8Array(count);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const k = 1 + (i % maxK);
    const p = adapter.encode(device.id, subset(sets[i % VALUE_SETS] as Values, k), { time: first + i * step, seq: i & 0xffff });
    payloads[i] = p;
    readings[i] = k;
    bytes += publishLayout(topic.length, p.length).bytes;
  }
  const packets = Buffer.allocUnsafe(bytes);
  const offsets = new Uint32Array(count + 1);
  const idOffsets = new Uint8Array(count);
  let off = 0;
  for (let i = 0; i < count; i++) {
    const p = payloads[i] as Uint8Array;
    offsets[i] = off;
    idOffsets[i] = publishLayout(topic.length, p.length).idOffset;
    off = writePublish(packets, off, topic, p);
  }
  offsets[count] = off;
  return { deviceId: device.id, topic: topic.toString(), count, packets, offsets, idOffsets, readings };
}

/** Mean readings per message over a pool. */
export function meanReadings(pools: readonly PacketPool[]): number {
  let msgs = 0;
  let readings = 0;
  for (const p of pools) {
    msgs += p.count;
    for (let i = 0; i < p.count; i++) readings += p.readings[i] as number;
  }
  return msgs > 0 ? readings / msgs : 0;
}

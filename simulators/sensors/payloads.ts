/**
 * From a scenario's values to the bytes a real device of the model sends: each adapter's own
 * encoder (JSON, an SL 651-2014 frame, a CTV binary frame), never a simulator-only format.
 */
import { getSensorAdapter } from '../../adapters/index.js';
import type { DeviceKind, Encoder, SensorAdapter } from '../../adapters/types.js';
import { GatewayError } from '../../gateway/core/errors.js';
import { createScenario, valuesForAdapter, type Scenario, type Site } from './scenarios.js';

export interface PayloadSource {
  adapter: SensorAdapter;
  encode: Encoder;
  site: Site;
  /**
   * The finest time step the wire format carries (1 s for epoch-second clocks, 60 s for SL 651
   * observation times). Two reports inside one step would carry the same reading time, and
   * the gateway keeps one reading per (device, metric, time): a device reports no faster.
   */
  resolutionMs: number;
}

export function payloadSource(device: { id: string; kind: DeviceKind; adapter: string }, ordinal: number): PayloadSource {
  const adapter = getSensorAdapter(device.adapter);
  if (!adapter) throw new GatewayError('GW_ERR_UNKNOWN_ADAPTER', `device ${device.id}: no sensor adapter "${device.adapter}"`);
  if (!adapter.encode) throw new GatewayError('GW_ERR_UNKNOWN_ADAPTER', `device ${device.id}: adapter "${adapter.id}" has no encoder, so it cannot be simulated`);
  // The generic adapter's metrics are whatever a device names: there is no model to simulate.
  if (adapter.exposes.length === 0) throw new GatewayError('GW_ERR_UNKNOWN_ADAPTER', `device ${device.id}: adapter "${adapter.id}" declares no metrics, so there is nothing to simulate`);
  if (adapter.kind !== device.kind) {
    throw new GatewayError('GW_ERR_VALIDATION', `device ${device.id} is a ${device.kind} but adapter "${adapter.id}" reads ${adapter.kind} devices`);
  }
  return { adapter, encode: adapter.encode, site: { id: device.id, kind: device.kind, ordinal }, resolutionMs: wireResolutionMs(adapter) };
}

export function buildPayload(src: PayloadSource, scenario: Scenario, report: { elapsedMs: number; time: number; seq: number }): Uint8Array {
  const values = valuesForAdapter(src.adapter, scenario, src.site, report.elapsedMs);
  return src.encode(src.site.id, values, { time: report.time, seq: report.seq });
}

const resolutions = new Map<string, number>();

/** Measured, not declared: encode at an instant off every whole second and see what comes back. */
export function wireResolutionMs(adapter: SensorAdapter): number {
  const known = resolutions.get(adapter.id);
  if (known !== undefined) return known;
  let res = 1;
  const probe = Date.UTC(2024, 4, 29, 4, 7, 31, 457);
  try {
    const values = valuesForAdapter(adapter, createScenario('calm', { seed: 1 }), { id: 'probe-0000000001', kind: adapter.kind, ordinal: 0 }, 3_600_000);
    const bytes = adapter.encode?.('probe-0000000001', values, { time: probe, seq: 1 });
    const decoded = bytes ? adapter.decode(bytes, { deviceId: 'probe-0000000001', topic: 'probe', receivedAt: probe }) : undefined;
    const t = decoded?.ok ? decoded.readings.find((r) => r.time !== undefined)?.time : undefined;
    if (t !== undefined) res = t % 60_000 === 0 ? 60_000 : t % 1000 === 0 ? 1000 : 1;
  } catch {
    res = 1000; // an encoder that cannot be probed: assume a seconds clock, the common case
  }
  resolutions.set(adapter.id, res);
  return res;
}

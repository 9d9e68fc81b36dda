import type { DecodeError, PlatformAdapter, Reading, SensorAdapter } from '../../adapters/types.js';
import { decodeAndValidate, platformToReadings } from '../../adapters/validate.js';
import type { DeviceInfo } from '../devices/registry.js';
import type { DeadLetterRow, IngestRecord, ReadingRow } from './record.js';
import type { ReceiveStamper } from './stamp.js';
import { parseDeviceTopic } from '../broker/topics.js';

/**
 * Turns one uplink (an MQTT message or one device's part of a platform push) into what gets
 * spooled: readings, or a dead letter saying why not. Pure apart from the stamper, so the decode
 * console, MQTT and HTTP ingest share it.
 */
export interface AcceptContext {
  sensorAdapter(id: string): SensorAdapter | undefined;
  stamper: ReceiveStamper;
  maxFutureSkewMs: number;
  /** Receive time, ms. */
  now: number;
}

/** Why an uplink was not stored: an adapter's DecodeErrorCode, or UNKNOWN_DEVICE / UNKNOWN_ADAPTER / FUTURE_TIMESTAMP. */
export interface Rejection {
  code: string;
  message: string;
  field?: string;
}
export type Outcome = { ok: true; readings: number } | { ok: false; error: Rejection };

/** The HTTP error code for a rejection (decode console, platform pushes). */
export function gatewayCodeFor(code: string): 'GW_ERR_UNKNOWN_DEVICE' | 'GW_ERR_OUT_OF_RANGE' | 'GW_ERR_FUTURE_TIMESTAMP' | 'GW_ERR_DECODE' {
  if (code === 'UNKNOWN_DEVICE') return 'GW_ERR_UNKNOWN_DEVICE';
  if (code === 'OUT_OF_RANGE') return 'GW_ERR_OUT_OF_RANGE';
  if (code === 'FUTURE_TIMESTAMP') return 'GW_ERR_FUTURE_TIMESTAMP';
  return 'GW_ERR_DECODE';
}

export interface Accepted {
  record: IngestRecord;
  outcome: Outcome;
}

export function acceptUplink(device: DeviceInfo | undefined, source: string, payload: Uint8Array, ctx: AcceptContext, deviceId?: string): Accepted {
  const id = device?.id ?? deviceId ?? null;
  const dead = (adapter: string | null, error: Rejection): Accepted => ({
    record: { rows: [], dead: [deadLetter(ctx, source, id, adapter, error, payload)] },
    outcome: { ok: false, error },
  });
  if (!device) return dead(null, { code: 'UNKNOWN_DEVICE', message: `device "${id ?? '?'}" is not registered` });
  const adapter = ctx.sensorAdapter(device.adapter);
  if (!adapter) return dead(device.adapter, { code: 'UNKNOWN_ADAPTER', message: `adapter "${device.adapter}" of device ${device.id} is not installed` });
  const suffix = parseDeviceTopic(source)?.suffix;
  if (suffix !== undefined && !adapter.topics.includes(suffix)) {
    return dead(adapter.id, { code: 'UNSUPPORTED', message: `adapter ${adapter.id} decodes messages on ${adapter.topics.join(', ')}, not on "${suffix}"` });
  }
  const res = decodeAndValidate(adapter, payload, { deviceId: device.id, topic: source, receivedAt: ctx.now });
  if (!res.ok) return dead(adapter.id, res.error);
  return toRecord(device, adapter.id, source, payload, res.readings, ctx);
}

/** One platform push, decoded by the platform adapter, split per device. */
export function acceptPlatformPush(
  platform: PlatformAdapter,
  body: unknown,
  rawBody: Uint8Array,
  lookup: (externalId: string) => DeviceInfo | undefined,
  ctx: AcceptContext,
): { record: IngestRecord; results: Array<{ externalId: string; deviceId: string | null } & Outcome>; error?: DecodeError } {
  const source = `http:${platform.id}`;
  const decoded = platform.decode(body, { receivedAt: ctx.now });
  if (!decoded.ok) {
    return { record: { rows: [], dead: [deadLetter(ctx, source, null, platform.id, decoded.error, rawBody)] }, results: [], error: decoded.error };
  }
  const record: IngestRecord = { rows: [], dead: [] };
  const results: Array<{ externalId: string; deviceId: string | null } & Outcome> = [];
  for (const msg of decoded.messages) {
    const device = lookup(msg.externalId);
    // This device's part of the push, kept as the dead letter's payload if it is rejected.
    const part = Buffer.from(JSON.stringify(msg, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)));
    let accepted: Accepted;
    if (!device) {
      const error = { code: 'UNKNOWN_DEVICE', message: `no device registered for ${platform.id} id "${msg.externalId}"` };
      accepted = { record: { rows: [], dead: [deadLetter(ctx, source, null, platform.id, error, part)] }, outcome: { ok: false, error } };
    } else {
      const adapter = ctx.sensorAdapter(device.adapter);
      if (!adapter) {
        accepted = acceptUplink(device, source, part, ctx);
      } else {
        const res = platformToReadings(msg, adapter, { deviceId: device.id, topic: source, receivedAt: ctx.now });
        accepted = res.ok ? toRecord(device, adapter.id, source, part, res.readings, ctx) : { record: { rows: [], dead: [deadLetter(ctx, source, device.id, adapter.id, res.error, part)] }, outcome: { ok: false, error: res.error } };
      }
    }
    record.rows.push(...accepted.record.rows);
    record.dead.push(...accepted.record.dead);
    results.push({ externalId: msg.externalId, deviceId: device?.id ?? null, ...accepted.outcome });
  }
  return { record, results };
}

function toRecord(device: DeviceInfo, adapterId: string, source: string, payload: Uint8Array, readings: readonly Reading[], ctx: AcceptContext): Accepted {
  const limit = ctx.now + ctx.maxFutureSkewMs;
  const late = readings.find((r) => r.time !== undefined && r.time > limit);
  if (late) {
    const error: Rejection = { code: 'FUTURE_TIMESTAMP', message: `${late.metric} is stamped ${new Date(late.time as number).toISOString()}, more than ${Math.round(ctx.maxFutureSkewMs / 1000)} s ahead of the gateway clock`, field: late.metric };
    return { record: { rows: [], dead: [deadLetter(ctx, source, device.id, adapterId, error, payload)] }, outcome: { ok: false, error } };
  }
  let received: number | undefined;
  const rows: ReadingRow[] = readings.map((r) => {
    const timeUs = r.time !== undefined ? r.time * 1000 : (received ??= ctx.stamper.stamp(device.id, ctx.now));
    return { deviceId: device.id, metric: r.metric, timeUs, value: r.value ?? null, state: r.state ?? null, seq: r.seq ?? null };
  });
  return { record: { rows, dead: [] }, outcome: { ok: true, readings: rows.length } };
}

function deadLetter(ctx: AcceptContext, source: string, deviceId: string | null, adapter: string | null, error: Rejection, payload: Uint8Array): DeadLetterRow {
  return {
    atUs: ctx.stamper.stamp(`\u0000dead:${source}`, ctx.now),
    source,
    deviceId,
    adapter,
    reasonCode: error.code,
    reason: error.field ? `${error.message} (at ${error.field})` : error.message,
    payload,
  };
}

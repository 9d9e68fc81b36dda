/**
 * Builds `exposes`, `decode` and `encode` of a CTV-framed model from its channel table, so a
 * binary adapter file is a short literal: which channel carries which metric in which type.
 */
import type { DecodeResult, Encoder, MetricSpec, Reading, SensorAdapter } from '../types.js';
import { unwrapHexText } from '../codecs/bytes.js';
import { ctvMagic, ctvTypes, decodeCtvFrame, encodeCtvFrame, type CtvRecord, type CtvTypeCode } from '../codecs/ctv.js';
import { codeFor, codeList } from './metrics.js';
import { fail, ok, reading } from './result.js';
import { fromEpochSeconds } from './time.js';

export interface CtvChannel {
  channel: number;
  type: CtvTypeCode;
  /** A state metric must carry `codes` (the wire value → state). */
  metric: MetricSpec;
}

export function ctvModel(channels: readonly CtvChannel[]): Pick<SensorAdapter, 'exposes' | 'decode' | 'encode' | 'encoding'> {
  const byChannel = new Map(channels.map((c) => [c.channel, c]));
  return {
    encoding: 'binary',
    exposes: channels.map((c) => c.metric),
    decode: (payload) => decodeWith(byChannel, payload),
    encode: encodeWith(channels),
  };
}

function decodeWith(byChannel: ReadonlyMap<number, CtvChannel>, payload: Uint8Array): DecodeResult {
  const res = decodeCtvFrame(unwrapHexText(payload, ctvMagic));
  if (!res.ok) return res;
  const { frame } = res;
  let time: number | undefined;
  if (frame.time !== 0) {
    const t = fromEpochSeconds(frame.time);
    if (!t.ok) return fail('OUT_OF_RANGE', `device time ${t.message}`, 'byte 4');
    time = t.time;
  }
  const readings: Reading[] = [];
  for (const [i, rec] of frame.records.entries()) {
    const r = toReading(byChannel, rec, i);
    if (!r.ok) return r;
    readings.push(reading(r.metric, r.value, { time, seq: frame.seq }));
  }
  return ok(readings);
}

type One = { ok: true; metric: string; value: number | string } | ReturnType<typeof fail>;

function toReading(byChannel: ReadonlyMap<number, CtvChannel>, rec: CtvRecord, i: number): One {
  const where = `record ${i + 1}`;
  const ch = byChannel.get(rec.channel);
  if (!ch) return fail('UNKNOWN_METRIC', `${where}: channel 0x${rec.channel.toString(16)} is not defined for this model`, where);
  if (ch.type !== rec.type) {
    return fail('WRONG_TYPE', `${where}: channel 0x${rec.channel.toString(16)} (${ch.metric.name}) must be ${ctvTypes[ch.type].name}, got ${ctvTypes[rec.type].name}`, where);
  }
  if (ch.metric.type === 'numeric') return { ok: true, metric: ch.metric.name, value: rec.value };
  const s = ch.metric.codes?.[rec.value];
  if (s === undefined) return fail('OUT_OF_RANGE', `${where}: ${ch.metric.name} code ${rec.value} is not one of ${codeList(ch.metric)}`, where);
  return { ok: true, metric: ch.metric.name, value: s };
}

function encodeWith(channels: readonly CtvChannel[]): Encoder {
  return (_deviceId, values, opts) => {
    const records: CtvRecord[] = [];
    for (const c of channels) {
      const v = values[c.metric.name];
      if (v === undefined) continue;
      records.push({ channel: c.channel, type: c.type, value: typeof v === 'number' || c.metric.type !== 'state' ? Number(v) : codeFor(c.metric, v) });
    }
    return encodeCtvFrame({ seq: opts.seq, time: Math.floor(opts.time / 1000), records });
  };
}

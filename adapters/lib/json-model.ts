/**
 * Builds `exposes`, `decode` and `encode` of a flat JSON model (one object: a device clock, a
 * frame counter and one number per metric) from its field table, so a JSON adapter file is a
 * short literal: the payload schema and which key carries which metric. The JSON counterpart
 * of `ctv-model.ts`.
 */
import type { Static, TObject } from 'typebox';
import type { DecodeError, DecodeResult, Encoder, MetricSpec, Reading, SensorAdapter } from '../types.js';
import { jsonBytes, parseJsonAs } from './json.js';
import { codeFor, codeList } from './metrics.js';
import { fail, ok, reading } from './result.js';
import type { TimeResult, WireClock } from './time.js';

/** Payload keys whose value is a number (metric fields and the frame counter). */
type NumberKey<S extends TObject> = { [K in keyof Static<S>]-?: Static<S>[K] extends number | undefined ? K : never }[keyof Static<S>] & string;

export interface JsonField<S extends TObject> {
  key: NumberKey<S>;
  /** A state metric must carry `codes`: the wire sends the code, the reading carries the state. */
  metric: MetricSpec;
  /** The state an encoder sends when `values` has none (for a field the device always sends). */
  default?: string;
  /** How a decode error names the allowed codes; by default it lists them (`0=closed, 1=open`). */
  codesText?: string;
}

export interface FlatJsonSpec<S extends TObject, T extends keyof Static<S> & string> {
  schema: S;
  timeKey: T;
  clock: WireClock<Static<S>[T]>;
  seqKey: NumberKey<S>;
  /** Wraps the encoded counter for a narrower wire field (e.g. 0xffff). */
  seqMask?: number;
  /** Where an encoder writes the device's id (decode ignores it); `idFrom` undefined leaves it out. */
  idKey?: keyof Static<S> & string;
  idFrom?: (deviceId: string) => string | undefined;
  fields: readonly JsonField<S>[];
}

export function flatJsonModel<S extends TObject, T extends keyof Static<S> & string>(
  spec: FlatJsonSpec<S, T>,
): Pick<SensorAdapter, 'exposes' | 'decode' | 'encode' | 'encoding'> {
  return {
    encoding: 'json',
    exposes: spec.fields.map((f) => f.metric),
    decode: (payload) => decodeWith(spec, payload),
    encode: encodeWith(spec),
  };
}

/** The device clock at `/key`, when present; a bad one is WRONG_TYPE naming the field. */
export function deviceTime<W>(key: string, v: W | undefined, parse: (v: W) => TimeResult): { ok: true; time: number | undefined } | { ok: false; error: DecodeError } {
  if (v === undefined) return { ok: true, time: undefined };
  const t = parse(v);
  return t.ok ? t : fail('WRONG_TYPE', `/${key} ${t.message}`, `/${key}`);
}

function decodeWith<S extends TObject, T extends keyof Static<S> & string>(spec: FlatJsonSpec<S, T>, payload: Uint8Array): DecodeResult {
  const checked = parseJsonAs(spec.schema, payload);
  if (!checked.ok) return checked;
  const p = checked.value;
  const t = deviceTime(spec.timeKey, p[spec.timeKey], (v) => spec.clock.parse(v));
  if (!t.ok) return t;
  const seq: unknown = p[spec.seqKey];
  const meta = { time: t.time, seq: typeof seq === 'number' ? seq : undefined };
  const readings: Reading[] = [];
  for (const f of spec.fields) {
    const v: unknown = p[f.key];
    if (typeof v !== 'number') continue; // absent: the schema allows only numbers here
    if (f.metric.type === 'numeric') {
      readings.push(reading(f.metric.name, v, meta));
      continue;
    }
    const s = f.metric.codes?.[v];
    if (s === undefined) return fail('OUT_OF_RANGE', `/${f.key} ${v} is not ${f.codesText ?? `one of ${codeList(f.metric)}`}`, `/${f.key}`);
    readings.push(reading(f.metric.name, s, meta));
  }
  return ok(readings);
}

function encodeWith<S extends TObject, T extends keyof Static<S> & string>(spec: FlatJsonSpec<S, T>): Encoder {
  return (deviceId, values, opts) => {
    const body: Record<string, unknown> = {};
    const id = spec.idFrom ? spec.idFrom(deviceId) : deviceId;
    if (spec.idKey !== undefined && id !== undefined) body[spec.idKey] = id;
    body[spec.timeKey] = spec.clock.format(opts.time);
    body[spec.seqKey] = spec.seqMask === undefined ? opts.seq : opts.seq & spec.seqMask;
    for (const f of spec.fields) {
      const v = values[f.metric.name] ?? f.default;
      if (v !== undefined) body[f.key] = f.metric.type === 'state' ? codeFor(f.metric, v) : v;
    }
    return jsonBytes(body);
  };
}

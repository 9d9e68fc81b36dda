/**
 * The adapter contract (STYLE.md §1–2). A vendor model is one file exporting one
 * `SensorAdapter`: what it matches, how it decodes, and what it exposes. What an adapter
 * exposes (metric names, units, ranges, states) is the contract rules, storage and the
 * dashboard check against.
 */

/** Device kinds the gateway knows; adapters declare one. */
export const deviceKinds = ['generic', 'waterlogging', 'water_level', 'smoke', 'manhole_cover', 'gas', 'electrical_fire', 'tilt'] as const;
export type DeviceKind = (typeof deviceKinds)[number];

export interface NumericMetric {
  name: string;
  type: 'numeric';
  unit: string;
  min: number;
  max: number;
  description: string;
}

export interface StateMetric {
  name: string;
  type: 'state';
  /** Every value the state can take, e.g. ['normal','alarm','silenced','fault','tamper','low_battery','test']. */
  states: readonly string[];
  description: string;
  /**
   * Wire code → state, when the device (or a platform forwarding it) sends the state as a
   * number, e.g. `{ 0: 'closed', 1: 'open' }`. A boolean maps through codes 0 (false) and 1 (true).
   */
  codes?: Readonly<Record<number, string>>;
}

export type MetricSpec = NumericMetric | StateMetric;

/** One decoded value. Exactly one of `value` / `state` is set, per the metric's type. */
export interface Reading {
  metric: string;
  value?: number;
  state?: string;
  /** The device's own timestamp (ms since epoch), when the payload carries one. */
  time?: number;
  /** The device's own sequence number, when the payload carries one. */
  seq?: number;
}

export type DecodeErrorCode =
  | 'MALFORMED' // not parseable at all (bad JSON, not a frame)
  | 'WRONG_TYPE' // a field has the wrong type
  | 'MISSING_FIELD'
  | 'UNKNOWN_METRIC'
  | 'OUT_OF_RANGE'
  | 'BAD_CHECKSUM'
  | 'SHORT_FRAME'
  | 'UNSUPPORTED'; // valid frame of a kind this adapter does not handle

export interface DecodeError {
  code: DecodeErrorCode;
  message: string;
  /** Field path or byte offset, e.g. `/depth` or `byte 12`. */
  field?: string;
}

export type DecodeResult = { ok: true; readings: Reading[] } | { ok: false; error: DecodeError };

export interface DecodeContext {
  deviceId: string;
  /** The MQTT topic (or `http:{platform}` for platform pushes). */
  topic: string;
  /** Gateway receive time, ms since epoch. */
  receivedAt: number;
}

export interface SensorAdapter {
  /** Stable id used in the device registry (`adapter` field) and the API, e.g. `smoke-jt-ys`. */
  id: string;
  vendor: string;
  model: string;
  kind: DeviceKind;
  description: string;
  /** How the payload travels: a JSON document, or a binary frame. */
  encoding: 'json' | 'binary';
  /** Topic suffixes under `cityops/v1/devices/{id}/` this adapter decodes (default `up`, `event`). */
  topics: readonly string[];
  exposes: readonly MetricSpec[];
  /**
   * True when the payload names its own metrics (generic JSON): readings for metrics not in
   * `exposes` are accepted when their names match `^[a-z][a-z0-9_]{0,63}$`; metrics that are
   * exposed are still checked against their spec.
   */
  openMetrics?: boolean;
  decode(payload: Uint8Array, ctx: DecodeContext): DecodeResult;
  /** Builds this model's real payload (JSON bytes or a binary frame); simulators and tests use it. */
  encode?: Encoder;
}

/** Values by metric name (numbers for numeric metrics, state names for state metrics). */
export type Encoder = (deviceId: string, values: Readonly<Record<string, number | string>>, opts: EncodeOptions) => Uint8Array;

export interface EncodeOptions {
  /** Device time of the report, ms since epoch. */
  time: number;
  /** Device sequence number. */
  seq: number;
}

/** A platform push (CTWing, OneNET) names its device in the body; one body may carry several. */
export interface PlatformMessage {
  /** The platform's name for the device (CTWing deviceId / IMEI, OneNET device name). */
  externalId: string;
  /** Property name → value, as the platform forwarded it. */
  properties: Record<string, number | string | boolean>;
  /** Other names the platform gives the same device (e.g. CTWing `IMEI` beside `deviceId`). */
  altIds?: string[];
  /** The platform's timestamp for the report, ms since epoch, when given. */
  time?: number;
  /** Transparent payload (CTWing `APPdata`, base64 on the wire): decoded by the device's own adapter. */
  raw?: Uint8Array;
}

export type PlatformDecodeResult = { ok: true; messages: PlatformMessage[] } | { ok: false; error: DecodeError };

export interface PlatformAdapter {
  /** Path segment in `POST /api/v1/ingest/{id}`. */
  id: string;
  name: string;
  description: string;
  decode(body: unknown, ctx: { receivedAt: number }): PlatformDecodeResult;
}

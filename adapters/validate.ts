/**
 * The shared step between an adapter and the rest of the gateway: decoded readings are checked
 * against what the adapter exposes (STYLE.md §2), and platform pushes are mapped onto the
 * device adapter's metrics. Ingest and the decode console both call `decodeAndValidate`.
 */
import type { DecodeContext, DecodeError, DecodeResult, MetricSpec, PlatformMessage, Reading, SensorAdapter } from './types.js';
import { fail, ok } from './lib/result.js';

export const metricNamePattern = /^[a-z][a-z0-9_]{0,63}$/;

type Exposing = Pick<SensorAdapter, 'id' | 'exposes' | 'openMetrics'>;

/** Checks every reading; the first problem becomes the error (it names metric, value and range). */
export function validateReadings(adapter: Exposing, readings: readonly Reading[]): DecodeResult {
  const specs = new Map(adapter.exposes.map((m) => [m.name, m]));
  for (const r of readings) {
    const e = checkReading(adapter, specs, r);
    if (e) return { ok: false, error: e };
  }
  return ok([...readings]);
}

function checkReading(adapter: Exposing, specs: ReadonlyMap<string, MetricSpec>, r: Reading): DecodeError | undefined {
  const name = typeof r.metric === 'string' ? r.metric : String(r.metric);
  const bad = (code: DecodeError['code'], message: string): DecodeError => ({ code, message, field: name });
  const hasValue = r.value !== undefined;
  const hasState = r.state !== undefined;
  if (hasValue === hasState) return bad('WRONG_TYPE', `${name} must have exactly one of value or state`);
  if (hasValue && (typeof r.value !== 'number' || !Number.isFinite(r.value))) return bad('WRONG_TYPE', `${name} value ${String(r.value)} is not a finite number`);
  if (hasState && (typeof r.state !== 'string' || r.state.length === 0 || r.state.length > 64 || r.state.includes('\u0000'))) return bad('WRONG_TYPE', `${name} state must be a string of 1–64 characters without NUL`);
  if (r.time !== undefined && !Number.isSafeInteger(r.time)) return bad('WRONG_TYPE', `${name} time ${String(r.time)} is not integer ms since epoch`);
  if (r.seq !== undefined && !(Number.isSafeInteger(r.seq) && r.seq >= 0)) return bad('WRONG_TYPE', `${name} seq ${String(r.seq)} is not a non-negative integer`);
  const spec = specs.get(name);
  if (!spec) {
    if (adapter.openMetrics === true && metricNamePattern.test(name)) return undefined;
    if (adapter.openMetrics === true) return bad('UNKNOWN_METRIC', `metric name "${name}" must match ${metricNamePattern.source}`);
    return bad('UNKNOWN_METRIC', `metric "${name}" is not exposed by adapter ${adapter.id} (exposes: ${[...specs.keys()].join(', ') || 'nothing'})`);
  }
  if (spec.type === 'numeric') {
    if (!hasValue) return bad('WRONG_TYPE', `${name} is numeric (${spec.unit}); got state "${String(r.state)}"`);
    const v = r.value as number;
    if (v < spec.min || v > spec.max) return bad('OUT_OF_RANGE', `${name} = ${v} ${spec.unit} is outside [${spec.min}, ${spec.max}] ${spec.unit}`);
    return undefined;
  }
  if (!hasState) return bad('WRONG_TYPE', `${name} is a state (one of ${spec.states.join(', ')}); got number ${String(r.value)}`);
  if (!spec.states.includes(r.state as string)) return bad('OUT_OF_RANGE', `${name} state "${String(r.state)}" is not one of ${spec.states.join(', ')}`);
  return undefined;
}

/** decode + validate; an adapter that throws (a bug the contract test hunts) becomes MALFORMED. */
export function decodeAndValidate(adapter: SensorAdapter, payload: Uint8Array, ctx: DecodeContext): DecodeResult {
  let res: DecodeResult;
  try {
    res = adapter.decode(payload, ctx);
  } catch (e) {
    return fail('MALFORMED', `adapter ${adapter.id} failed on this payload: ${e instanceof Error ? e.message : String(e)}`);
  }
  return res.ok ? validateReadings(adapter, res.readings) : res;
}

/**
 * Platform fields that describe the radio link or the SIM, not the thing measured (CTWing LwM2M
 * profiles put them beside the data): dropped unless a mapping names them.
 */
export const platformDiagnostics: readonly string[] = [
  'IMEI', 'IMSI', 'ICCID', 'RSRP', 'RSRQ', 'SNR', 'SINR', 'CSQ', 'ECL', 'PCI', 'Cell_ID', 'Cell_ID_Length', 'TxPower',
];

export interface PlatformMapping {
  /** Platform property → metric, when the names differ (e.g. `Battery_Level` → `battery_pct`). */
  rename?: Readonly<Record<string, string>>;
  /** More properties to drop, beside `platformDiagnostics`. */
  ignore?: readonly string[];
}

/**
 * Maps one PlatformMessage onto `adapter`'s metrics: numbers → value, strings → state,
 * booleans → 1/0 for numeric metrics or codes 1/0 ('true'/'false' without codes) for states;
 * a number for a state metric goes through the metric's codes. `raw` is decoded by the
 * adapter's own decode. Readings without their own time take the platform's time.
 */
export function platformToReadings(message: PlatformMessage, adapter: SensorAdapter, ctx: DecodeContext & PlatformMapping): DecodeResult {
  const readings: Reading[] = [];
  const meta = message.time === undefined ? {} : { time: message.time };
  if (message.raw) {
    const res = decodeAndValidate(adapter, message.raw, ctx);
    if (!res.ok) return res;
    for (const r of res.readings) readings.push(r.time === undefined ? { ...r, ...meta } : r);
  }
  const ignore = new Set([...platformDiagnostics, ...(ctx.ignore ?? [])]);
  const specs = new Map(adapter.exposes.map((m) => [m.name, m]));
  for (const [prop, v] of Object.entries(message.properties)) {
    if (ignore.has(prop)) continue;
    const metric = ctx.rename?.[prop] ?? prop;
    const spec = specs.get(metric);
    const field = `/properties/${prop}`;
    if (!spec && !(adapter.openMetrics === true && metricNamePattern.test(metric))) {
      return fail('UNKNOWN_METRIC', `property "${prop}" has no metric in adapter ${adapter.id} (exposes: ${[...specs.keys()].join(', ') || 'nothing'}); map it with rename or drop it with ignore`, field);
    }
    const mapped = mapValue(spec, v);
    if (typeof mapped === 'object') return fail(mapped.code, `property "${prop}" → ${metric}: ${mapped.message}`, field);
    readings.push(typeof mapped === 'number' ? { metric, value: mapped, ...meta } : { metric, state: mapped, ...meta });
  }
  return validateReadings(adapter, readings);
}

function mapValue(spec: MetricSpec | undefined, v: number | string | boolean): number | string | DecodeError {
  if (!spec) return typeof v === 'boolean' ? String(v) : v;
  if (spec.type === 'numeric') {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    return { code: 'WRONG_TYPE', message: `expected a number (${spec.unit}), got string "${v.slice(0, 40)}"` };
  }
  if (typeof v === 'string') return v;
  const code = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  if (spec.codes) {
    const s = spec.codes[code];
    return s ?? { code: 'OUT_OF_RANGE', message: `code ${String(v)} is not one of ${Object.entries(spec.codes).map(([k, x]) => `${k}=${x}`).join(', ')}` };
  }
  if (typeof v === 'boolean') return String(v);
  return { code: 'WRONG_TYPE', message: `expected a state (one of ${spec.states.join(', ')}), got number ${v}` };
}

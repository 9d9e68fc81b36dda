/**
 * Reusable pieces for `exposes` (in the spirit of zigbee-herdsman-converters' `numeric()` and
 * `enum()` builders): adapters compose these instead of repeating literals.
 */
import type { NumericMetric, StateMetric } from '../types.js';

export function numeric(spec: Omit<NumericMetric, 'type'>): NumericMetric {
  return { type: 'numeric', ...spec };
}

export function state(spec: Omit<StateMetric, 'type'>): StateMetric {
  return { type: 'state', ...spec };
}

/** States from a code table, in code order, so `states` and `codes` cannot drift. */
export function coded(spec: Omit<StateMetric, 'type' | 'states' | 'codes'> & { codes: Readonly<Record<number, string>> }): StateMetric {
  const states = Object.keys(spec.codes)
    .map(Number)
    .sort((a, b) => a - b)
    .map((k) => spec.codes[k] as string);
  return { type: 'state', name: spec.name, description: spec.description, states, codes: spec.codes };
}

export const batteryPct = numeric({ name: 'battery_pct', unit: '%', min: 0, max: 100, description: 'Remaining battery charge.' });

export function temperatureC(name: string, min: number, max: number, description: string): NumericMetric {
  return numeric({ name, unit: '°C', min, max, description });
}

/** The wire code of `state` (for encoders); throws RangeError when the metric has no such state. */
export function codeFor(metric: StateMetric, state: string | number | undefined): number {
  for (const [k, s] of Object.entries(metric.codes ?? {})) if (s === state) return Number(k);
  throw new RangeError(`${metric.name} has no state "${String(state)}"`);
}

/** `0=closed, 1=open`, for error messages. */
export function codeList(metric: StateMetric): string {
  return Object.entries(metric.codes ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');
}

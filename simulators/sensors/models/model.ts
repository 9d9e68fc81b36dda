/**
 * What every kind's value model shares: its input (which site, how long the scenario has run)
 * and small numeric helpers. Models are pure functions of their input, so any instant can be
 * computed without stepping through the ones before it.
 */
import type { DeviceKind } from '../../../adapters/types.js';
import { noise, smoothNoise, uniform } from '../prng.js';

export const scenarioNames = ['calm', 'rainstorm', 'fire', 'manhole', 'gas-leak'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** Values by metric name: numbers for numeric metrics, state names for state metrics. */
export type Values = Record<string, number | string>;

/** One simulated device as the scenarios see it. */
export interface Site {
  id: string;
  kind: DeviceKind;
  /** 0-based position among the fleet's devices of the same kind: site 0 is where incidents happen. */
  ordinal: number;
}

export interface ModelInput {
  site: Site;
  scenario: ScenarioName;
  seed: number;
  /** Minutes since the scenario started (fractional). */
  minutes: number;
}

export type KindModel = (input: ModelInput) => Values;

export const round = (v: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
};

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Per-site constant in [lo, hi), fixed by the seed: each site has its own baseline. */
export function siteConstant(m: ModelInput, name: string, lo: number, hi: number): number {
  return lo + uniform(m.seed, `${m.site.id}/${name}`) * (hi - lo);
}

/** Sensor jitter that changes every second. */
export function jitter(m: ModelInput, name: string, amplitude: number): number {
  return noise(m.seed, `${m.site.id}/${name}`, Math.floor(m.minutes * 60), amplitude);
}

/** Slow wander with a correlation time of `periodMin` minutes. */
export function wander(m: ModelInput, name: string, amplitude: number, periodMin: number): number {
  return smoothNoise(m.seed, `${m.site.id}/${name}~`, m.minutes / periodMin, amplitude);
}

/** The time of day cycle (1 at the daily peak, -1 twelve hours later), on scenario time. */
export function daily(m: ModelInput, peakHour: number): number {
  return Math.cos(((m.minutes / 60 - peakHour) / 24) * 2 * Math.PI);
}

/** Battery that drains slowly from a per-site start (about 1 % a week). */
export function battery(m: ModelInput, lo: number, hi: number): number {
  return clamp(Math.round(siteConstant(m, 'battery', lo, hi) - m.minutes / (7 * 24 * 60)), 0, 100);
}

/** Position inside a repeating incident cycle, in minutes. */
export const phase = (minutes: number, periodMin: number): number => ((minutes % periodMin) + periodMin) % periodMin;

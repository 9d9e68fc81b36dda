import { Value } from 'typebox/value';
import { Rule } from '../schema.js';
import { createEngine } from './index.js';
import type { DeviceContext, EngineReading, RuleEngine, StepResult, Transition } from './types.js';

/** Test support: rules with the schema's defaults applied, devices, and readings in seconds. */
export const T0 = Date.UTC(2025, 6, 1, 0, 0, 0); // 2025-07-01 08:00 Asia/Shanghai

export function rule(partial: Record<string, unknown>): Rule {
  const r = Value.Default(Rule, structuredClone({ name: String(partial.id ?? 'r'), grades: { red: {} }, ...partial }));
  if (!Value.Check(Rule, r)) throw new Error(`test rule ${String(partial.id)} is invalid: ${JSON.stringify([...Value.Errors(Rule, r)].slice(0, 2))}`);
  return r;
}

export function device(id: string, over: Partial<DeviceContext> = {}): DeviceContext {
  return { id, kind: 'water_level', blockCode: '31011500100100001', tags: [], exercise: false, ...over };
}

export interface Harness {
  engine: RuleEngine;
  devices: Map<string, DeviceContext>;
  /** A reading `sec` seconds after T0 (a number value, or a string state). */
  read(deviceId: string, metric: string, sec: number, v: number | string, seq?: number): StepResult;
  reading(deviceId: string, metric: string, sec: number, v: number | string, seq?: number): EngineReading;
  advance(sec: number): StepResult;
}

export function harness(rules: Rule[], devices: DeviceContext[] = [device('d1')], maxLatenessMs = 7 * 86_400_000): Harness {
  const map = new Map(devices.map((d) => [d.id, d]));
  const engine = createEngine({ lookup: (id) => map.get(id), maxLatenessMs });
  engine.setRules(rules.map((r) => ({ rule: r, version: 1 })));
  const reading = (deviceId: string, metric: string, sec: number, v: number | string, seq?: number): EngineReading => ({
    deviceId,
    metric,
    timeUs: (T0 + sec * 1000) * 1000,
    value: typeof v === 'number' ? v : null,
    state: typeof v === 'string' ? v : null,
    seq: seq ?? null,
  });
  return {
    engine,
    devices: map,
    reading,
    read: (d, m, sec, v, seq) => engine.process([reading(d, m, sec, v, seq)], T0 + sec * 1000),
    advance: (sec) => engine.advanceTo(T0 + sec * 1000),
  };
}

/** Transitions as short strings: "fingerprint from→to @sec". */
export function brief(ts: readonly Transition[]): string[] {
  return ts.map((t) => `${t.fingerprint} ${t.from}→${t.to} @${(t.atMs - T0) / 1000}`);
}

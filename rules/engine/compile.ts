import { parseDuration } from '../duration.js';
import { grades, type Rule } from '../schema.js';
import { compileDeviceCondition, type CompiledCondition } from './conditions/index.js';
import { perLevel } from './conditions/grading.js';
import type { Timing } from './machine.js';
import { compileSchedule, type CompiledSchedule } from './schedule.js';

/** k_of_n settings: per-level k (NaN where not given), the window and the block prefix length. */
export interface KOfN {
  k: number[];
  windowMs: number;
  digits: number;
}

export interface CompiledScope {
  kinds: ReadonlySet<string> | null;
  devices: ReadonlySet<string> | null;
  blocks: readonly string[];
  tags: readonly string[];
}

/** A rule ready to run. Kept across a hot apply when its hash is unchanged (states point at it). */
export interface CompiledRule {
  readonly id: string;
  version: number;
  readonly hash: string;
  readonly rule: Rule;
  readonly scope: CompiledScope;
  /** The device-level condition (for k_of_n: its `of`). */
  readonly cond: CompiledCondition;
  /** Metric → index into the condition's metrics (see CompiledCondition). */
  readonly metricIndex: ReadonlyMap<string, number>;
  /** Number of dedupe key slots: one per metric, plus one for "any other metric" when needed. */
  readonly keySlots: number;
  readonly timing: Timing;
  readonly schedule: CompiledSchedule | null;
  readonly kofn: KOfN | null;
  /** Disabled for the process after its evaluation threw. */
  broken: boolean;
}

export function compileRule(rule: Rule, version: number, hash: string): CompiledRule {
  const hysteresis = rule.clear?.hysteresis ?? 0;
  const c = rule.condition;
  const kofn = c.type === 'k_of_n' ? { k: perLevel(c.k, (n) => n), windowMs: parseDuration(c.window), digits: c.blockDigits ?? 17 } : null;
  const cond = compileDeviceCondition(c.type === 'k_of_n' ? c.of : c, hysteresis);
  const ruleFor = parseDuration(rule.for ?? '0s');
  const forMs = [0, ...grades.map((g) => {
    const f = rule.grades?.[g]?.for;
    return f === undefined ? ruleFor : parseDuration(f);
  })];
  const scope = rule.scope ?? { kinds: [], devices: [], blocks: [], tags: [] };
  const nonEmpty = <T>(xs: readonly T[] | undefined): ReadonlySet<T> | null => (xs && xs.length > 0 ? new Set(xs) : null);
  const compiledScope: CompiledScope = {
    kinds: nonEmpty(scope.kinds),
    devices: nonEmpty(scope.devices),
    blocks: scope.blocks ?? [],
    tags: scope.tags ?? [],
  };
  return {
    id: rule.id,
    version,
    hash,
    rule,
    scope: compiledScope,
    cond,
    metricIndex: new Map(cond.metrics.map((m, i) => [m, i])),
    keySlots: cond.metrics.length + (cond.anyMetric ? 1 : 0),
    timing: { forMs, clearForMs: parseDuration(rule.clear?.clearFor ?? '0s') },
    schedule: rule.schedule ? compileSchedule(rule.schedule) : null,
    kofn,
    broken: false,
  };
}

/** Whether the rule's scope takes this device (kind, id, block prefix, all tags). */
export function inScope(s: CompiledScope, d: { id: string; kind: string; blockCode: string; tags: readonly string[] }): boolean {
  if (s.kinds && !s.kinds.has(d.kind)) return false;
  if (s.devices && !s.devices.has(d.id)) return false;
  if (s.blocks.length > 0 && !s.blocks.some((b) => d.blockCode.startsWith(b))) return false;
  for (const t of s.tags) if (!d.tags.includes(t)) return false;
  return true;
}

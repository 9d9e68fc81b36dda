import { inScope, type CompiledRule } from './compile.js';
import type { DeviceState, Member } from './subjects.js';
import type { DeviceContext } from './types.js';

/**
 * Which rules a device runs, indexed by metric. Devices with the same matching rules share one
 * profile, so the hot path is: device entry (Map) → metric (Map) → flat [slot, metric index]
 * pairs. A no_data rule without a metric is in every list and in `other` (metrics no rule reads).
 */
export interface Profile {
  readonly rules: readonly CompiledRule[];
  readonly byMetric: ReadonlyMap<string, Int32Array>;
  readonly other: Int32Array;
}

/** A device the engine has seen: its context, profile and one state slot per profile rule. */
export interface DeviceEntry {
  readonly id: string;
  ctx: DeviceContext;
  profile: Profile;
  /** Device states; for k-of-n rules, the device's member in its block (linked lazily). */
  states: Array<DeviceState | Member | undefined>;
}

function buildProfile(rules: CompiledRule[]): Profile {
  const lists = new Map<string, number[]>();
  const other: number[] = [];
  rules.forEach((r, slot) => {
    r.cond.metrics.forEach((m, i) => {
      let l = lists.get(m);
      if (!l) lists.set(m, (l = []));
      l.push(slot, i);
    });
  });
  rules.forEach((r, slot) => {
    if (!r.cond.anyMetric) return;
    const otherIndex = r.cond.metrics.length;
    for (const [m, l] of lists) if (!r.metricIndex.has(m)) l.push(slot, otherIndex);
    other.push(slot, otherIndex);
  });
  const byMetric = new Map<string, Int32Array>();
  for (const [m, l] of lists) {
    // Evaluate in rule-set order, whatever the order the pairs were collected in.
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < l.length; i += 2) pairs.push([l[i] as number, l[i + 1] as number]);
    pairs.sort((a, b) => a[0] - b[0]);
    byMetric.set(m, Int32Array.from(pairs.flat()));
  }
  return { rules, byMetric, other: Int32Array.from(other) };
}

/** The running rules indexed by device kind, with profiles cached per kind and matching set. */
export class RuleIndex {
  private readonly byKind = new Map<string, CompiledRule[]>();
  private readonly anyKind: CompiledRule[] = [];
  private readonly profiles = new Map<string, Profile>();
  private readonly position: ReadonlyMap<CompiledRule, number>;

  constructor(readonly rules: readonly CompiledRule[]) {
    this.position = new Map(rules.map((r, i) => [r, i]));
    for (const r of rules) {
      if (!r.scope.kinds) this.anyKind.push(r);
      else for (const k of r.scope.kinds) {
        let l = this.byKind.get(k);
        if (!l) this.byKind.set(k, (l = []));
        l.push(r);
      }
    }
  }

  profileFor(ctx: DeviceContext): Profile {
    const position = this.position;
    const matched = [...(this.byKind.get(ctx.kind) ?? []), ...this.anyKind].filter((r) => inScope(r.scope, ctx));
    matched.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
    const key = matched.map((r) => position.get(r)).join(',');
    let p = this.profiles.get(key);
    if (!p) this.profiles.set(key, (p = buildProfile(matched)));
    return p;
  }
}

export function sameContext(a: DeviceContext, b: DeviceContext): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || a.blockCode !== b.blockCode || a.exercise !== b.exercise || a.tags.length !== b.tags.length) return false;
  for (let i = 0; i < a.tags.length; i++) if (a.tags[i] !== b.tags[i]) return false;
  return true;
}

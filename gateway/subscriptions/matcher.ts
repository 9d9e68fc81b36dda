import { grades, type Grade } from '../../rules/schema.js';
import { matchesType, parseTypeFilter } from '../events/type-filter.js';
import type { PlatformEvent } from '../events/types.js';
import type { SubscriptionFilter } from './schema.js';

/**
 * A subscription's filter as a predicate on feed events. Every condition given must hold; an
 * event that lacks what a condition asks about (no grade, no block, no kind) does not pass it.
 */
export type EventMatcher = (e: PlatformEvent) => boolean;

export function compileFilter(f: SubscriptionFilter): EventMatcher {
  const tests: EventMatcher[] = [];
  if (f.minGrade !== undefined) {
    const min = level(f.minGrade);
    tests.push((e) => e.grade != null && level(e.grade) >= min);
  }
  if (f.kinds !== undefined) {
    const kinds = new Set(f.kinds);
    tests.push((e) => {
      const k = kindOf(e);
      return k !== null && kinds.has(k);
    });
  }
  if (f.blocks !== undefined) {
    const prefixes = f.blocks;
    tests.push((e) => e.blockCode !== null && prefixes.some((p) => e.blockCode?.startsWith(p) === true));
  }
  const types = parseTypeFilter(f.types);
  if (types) tests.push((e) => matchesType(types, e.type));
  return (e) => tests.every((test) => test(e));
}

/** The kind an event is about: its warning's or case's kind (the device kind), or a top-level `kind`. */
export function kindOf(e: PlatformEvent): string | null {
  for (const key of ['warning', 'case'] as const) {
    const inner = e.data[key];
    if (typeof inner === 'object' && inner !== null && typeof (inner as { kind?: unknown }).kind === 'string') return (inner as { kind: string }).kind;
  }
  return typeof e.data['kind'] === 'string' ? e.data['kind'] : null;
}

function level(g: Grade): number {
  return grades.indexOf(g);
}

import { gradeOf, type Grade, type GradeLevel } from '../../rules/schema.js';
import type { Transition } from '../../rules/engine/types.js';
import type { TimelineType } from './schema.js';

/** One grade change of a warning, from the engine or by hand (a manual clear, a storm). */
export interface Change {
  from: GradeLevel;
  to: GradeLevel;
  atMs: number;
  reason: string;
  metric: string | null;
  value: number | null;
  state: string | null;
  devices?: string[];
  manual?: boolean;
}

/** The `transition` of warning.* events and notification payloads (docs/warnings.md): grades by name, time in ISO 8601. */
export type TransitionView = Omit<Change, 'from' | 'to' | 'atMs'> & { from: Grade | null; to: Grade | null; at: string };

export function changeOf(t: Transition): Change {
  return { from: t.from, to: t.to, atMs: t.atMs, reason: t.reason, metric: t.metric, value: t.value, state: t.state, ...(t.devices ? { devices: t.devices } : {}) };
}

export function transitionView(c: Change): TransitionView {
  return {
    from: gradeOf(c.from),
    to: gradeOf(c.to),
    at: new Date(c.atMs).toISOString(),
    reason: c.reason,
    metric: c.metric,
    value: c.value,
    state: c.state,
    ...(c.devices ? { devices: c.devices } : {}),
    ...(c.manual ? { manual: true } : {}),
  };
}

export function changeType(c: Change): Extract<TimelineType, 'raised' | 'upgraded' | 'downgraded' | 'cleared'> {
  if (c.to === 0) return 'cleared';
  if (c.from === 0) return 'raised';
  return c.to > c.from ? 'upgraded' : 'downgraded';
}

/** The event each change emits. */
export function changeEvent(c: Change): 'warning.raised' | 'warning.updated' | 'warning.cleared' {
  const type = changeType(c);
  return type === 'raised' ? 'warning.raised' : type === 'cleared' ? 'warning.cleared' : 'warning.updated';
}

import type { NewEvent } from '../events/types.js';
import type { CaseView } from '../cases/types.js';
import { chinaTime } from '../events/store.js';
import type { ClockRow } from './store.js';

/**
 * `case.sla_breached` and `case.sla_met` (docs/events.md): data {case, clock, seq, deadline,
 * startedAt, unit} (+ metAt and late when met), with the case's subject, block, grade and
 * exercise flag like every case.* event.
 */
export function slaEvent(type: 'case.sla_breached' | 'case.sla_met', kase: CaseView, c: ClockRow, extra: Record<string, unknown> = {}): NewEvent {
  return {
    type, subject: { type: 'case', id: kase.id }, blockCode: kase.blockCode || null, grade: kase.grade, exercise: kase.exercise,
    data: {
      case: kase, clock: c.clock, seq: c.seq, deadline: chinaTime(c.deadlineMs), startedAt: chinaTime(c.startedAtMs),
      unit: c.unitId !== null && c.unitTier !== null ? { id: c.unitId, tier: Number(c.unitTier) } : null, ...extra,
    },
  };
}

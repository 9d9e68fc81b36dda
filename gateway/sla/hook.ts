import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { Queryable } from '../storage/db.js';
import type { Emit } from '../warnings/types.js';
import type { Warnings } from '../warnings/service.js';
import type { CaseChange, CaseHook, CaseStatus, CaseView } from '../cases/types.js';
import { chinaTime } from '../events/store.js';
import { defaultCalendar, dutyDeadline, dutyTimeBetween, type DutyCalendar, type Tier } from '../duty/calendar.js';
import { getUnit } from '../duty/units.js';
import { reportClocks, unitClocks, slaClocks, type SlaClockName } from './schema.js';
import { insertClock, meetClocks, nextSeq, pauseClocks, pausedClocks, resumeClock, stopClocks, type ClockRow } from './store.js';
import { breachCleared } from './warning.js';
import { slaEvent } from './events.js';

/**
 * What each case change does to its clocks (docs/sla.md):
 * - opened: first and written report clocks, counted from the incident (seed 000: 30 and 60 min).
 * - dispatched: the previous dispatch's sign and arrive clocks stop; new ones start, both counted
 *   from the dispatch (seed 004 第十二条 "接到指令后", 附件二 6, 7) in the unit's duty time.
 * - a step meets its clock and every earlier one (a later status proves the earlier step).
 * - returned (退单) stops the unit's clocks; closed stops every clock.
 * - suspended (延期 / 挂账) pauses the unit's clocks and `resumed` runs them on with the duty time
 *   left; the report clocks do not pause: suspending a case must not hide a late report (seed 000 压报).
 */
export interface SlaHookContext {
  sla: Config['cases']['sla'];
  warnings: Pick<Warnings, 'setDirect'>;
  log: Logger;
}

const throughArrival: readonly SlaClockName[] = ['first_report', 'sign', 'arrive'];
const metBy: Partial<Record<CaseStatus, readonly SlaClockName[]>> = {
  reported: ['first_report'],
  dispatched: ['first_report'],
  signed: ['first_report', 'sign'],
  arrived: throughArrival,
  handled: throughArrival,
  verified: throughArrival,
};

type Unit = { id: string; tier: Tier };

export function slaHook(ctx: SlaHookContext): CaseHook {
  const { sla, warnings, log } = ctx;

  async function calendarOf(tx: Queryable, unit: Unit, nowMs: number): Promise<{ calendar: DutyCalendar }> {
    const known = await getUnit(tx, unit.id, nowMs);
    return { calendar: known?.calendar ?? defaultCalendar(unit.tier) };
  }
  const unitOf = (c: ClockRow): Unit | null => (c.unitId !== null && c.unitTier !== null ? { id: c.unitId, tier: Number(c.unitTier) as Tier } : null);

  async function meet(tx: Queryable, emit: Emit, kase: CaseView, clocks: readonly SlaClockName[], atMs: number, nowMs: number): Promise<void> {
    for (const c of await meetClocks(tx, kase.id, clocks, atMs)) {
      const late = atMs > c.deadlineMs;
      await emit(slaEvent('case.sla_met', kase, c, { metAt: chinaTime(atMs), late }));
      if (c.breachedAtMs !== null) {
        const how = late ? `${Math.ceil((atMs - c.deadlineMs) / 60_000)} min after the deadline` : 'stamped before the deadline (reported late)';
        await warnings.setDirect(tx, emit, breachCleared(c, kase, atMs, `${c.clock} met at ${chinaTime(atMs)}, ${how}`), nowMs);
      }
    }
  }

  async function stop(tx: Queryable, emit: Emit, kase: CaseView, clocks: readonly SlaClockName[], atMs: number, why: string, nowMs: number): Promise<void> {
    for (const c of await stopClocks(tx, kase.id, clocks, atMs)) {
      // The miss stays on the clock (and in the linkage report); the warning has nothing left to chase.
      if (c.breachedAtMs !== null) await warnings.setDirect(tx, emit, breachCleared(c, kase, atMs, `${c.clock} clock stopped: ${why}`), nowMs);
    }
  }

  async function dispatch(tx: Queryable, kase: CaseView, atMs: number, nowMs: number): Promise<void> {
    const unit = kase.unit;
    if (!unit) {
      log.warn({ caseId: kase.id }, 'case dispatched without a unit: no sign or arrive clocks');
      return;
    }
    const cal = await calendarOf(tx, unit, nowMs);
    const seq = await nextSeq(tx, kase.id);
    const allowed: Record<'sign' | 'arrive', number> = { sign: sla.signMs, arrive: unit.tier === 1 ? sla.arriveTier1Ms : sla.arriveOtherMs };
    for (const clock of unitClocks) {
      const deadlineMs = dutyDeadline(cal, atMs, allowed[clock]);
      if (!Number.isFinite(deadlineMs)) {
        log.warn({ caseId: kase.id, unitId: unit.id, clock }, 'the unit\'s duty calendar has no duty time within a year: clock not started');
        continue;
      }
      await insertClock(tx, { caseId: kase.id, clock, seq, unit, startedAtMs: atMs, deadlineMs, durationMs: allowed[clock] });
    }
  }

  async function pause(tx: Queryable, kase: CaseView, atMs: number, nowMs: number): Promise<void> {
    await pauseClocks(tx, kase.id, unitClocks, atMs, async (c) => {
      const unit = unitOf(c);
      const from = Math.max(atMs, c.startedAtMs);
      return unit ? dutyTimeBetween(await calendarOf(tx, unit, nowMs), from, c.deadlineMs) : c.deadlineMs - from;
    });
  }

  async function resume(tx: Queryable, kase: CaseView, atMs: number, nowMs: number): Promise<void> {
    for (const c of await pausedClocks(tx, kase.id)) {
      const unit = unitOf(c);
      const left = c.remainingMs ?? 0;
      const deadlineMs = unit ? dutyDeadline(await calendarOf(tx, unit, nowMs), atMs, left) : atMs + left;
      if (Number.isFinite(deadlineMs)) await resumeClock(tx, c, deadlineMs);
      else log.warn({ caseId: kase.id, unitId: c.unitId, clock: c.clock }, 'the unit\'s duty calendar has no duty time within a year: clock stays paused');
    }
  }

  async function transition(tx: Queryable, emit: Emit, ch: Extract<CaseChange, { type: 'transition' }>, nowMs: number): Promise<void> {
    const { case: kase, from, to, atMs } = ch;
    // `resumed` goes back to the status the suspension began in: nothing new happened.
    if (from === 'suspended') return resume(tx, kase, atMs, nowMs);
    const met = metBy[to];
    if (met) await meet(tx, emit, kase, met, atMs, nowMs);
    if (to === 'dispatched') {
      await stop(tx, emit, kase, unitClocks, atMs, 'dispatched again', nowMs);
      await dispatch(tx, kase, atMs, nowMs);
    } else if (to === 'returned') {
      await stop(tx, emit, kase, unitClocks, atMs, 'returned by the unit (退单)', nowMs);
    } else if (to === 'closed') {
      await stop(tx, emit, kase, slaClocks, atMs, 'case closed', nowMs);
    } else if (to === 'suspended') {
      await pause(tx, kase, atMs, nowMs);
    }
  }

  return async (tx, emit, change, nowMs) => {
    switch (change.type) {
      case 'opened': {
        const incidentMs = Date.parse(change.case.incidentAt);
        const allowed = { first_report: sla.firstReportMs, written_report: sla.writtenReportMs };
        for (const clock of reportClocks) {
          await insertClock(tx, { caseId: change.case.id, clock, seq: 0, unit: null, startedAtMs: incidentMs, deadlineMs: incidentMs + allowed[clock], durationMs: allowed[clock] });
        }
        return;
      }
      case 'report_confirmed':
        return meet(tx, emit, change.case, ['written_report'], change.atMs, nowMs);
      case 'transition':
        return transition(tx, emit, change, nowMs);
    }
  };
}

import type { Clock } from '../core/clock.js';
import { clockTicker } from '../core/ticker.js';
import type { Config } from '../config/schema.js';
import { componentLogger, type Logger } from '../core/log.js';
import type { Db } from '../storage/db.js';
import type { EventFeed } from '../events/types.js';
import type { Warnings } from '../warnings/service.js';
import type { CaseHook } from '../cases/types.js';
import { getCase, isCaseId, toView } from '../cases/repo.js';
import { chinaTime } from '../events/store.js';
import { slaEvent } from './events.js';
import { slaHook } from './hook.js';
import type { SlaClockView } from './schema.js';
import { claimBreaches, listClocks, toClockView } from './store.js';
import { breachWarning } from './warning.js';

/**
 * SLA clocks of cases (docs/sla.md, seeds 000 and 004): the case hook starts, meets, stops and
 * pauses them inside each case transaction; a ticker every `cases.sla.tickMs` finds the ones
 * past their deadline, records the breach at the deadline, emits `case.sla_breached` and raises
 * the breach warning, all in one event-feed transaction. All state is in `case_sla`, so any
 * number of processes may tick and a restart picks up where it stopped.
 */
export interface SlaDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  feed: EventFeed;
  warnings: Pick<Warnings, 'setDirect'>;
  config: Pick<Config, 'cases'>;
}

export interface Sla {
  /** Register with `cases.addHook(sla.hook)` before the case service starts. */
  hook: CaseHook;
  /** Ticks on the clock every `cases.sla.tickMs` until stop(). */
  start(): void;
  /** Stops the ticker and waits for a tick in flight. */
  stop(): Promise<void>;
  /** Raises every breach due at `nowMs`; returns how many. */
  tick(nowMs: number): Promise<number>;
  /** Resolves when the tick the timer started (if any) is done (tests). */
  idle(): Promise<void>;
  /** A case's clocks in the order they started (the case file shows them). */
  clocksOf(caseId: string): Promise<SlaClockView[]>;
}

/** Breaches handled per transaction. */
const BATCH = 100;

export function createSla(deps: SlaDeps): Sla {
  const { db, clock, feed, warnings } = deps;
  const sla = deps.config.cases.sla;
  const log = componentLogger(deps.logger, 'sla');
  const hook = slaHook({ sla, warnings, log });

  async function tick(nowMs: number): Promise<number> {
    let total = 0;
    // A full batch means there may be more; bounded, so a fault cannot spin.
    for (let round = 0; round < 100; round++) {
      const raised = await feed.transaction(async (tx, emit) => {
        const due = await claimBreaches(tx, nowMs, BATCH);
        for (const c of due) {
          const row = await getCase(tx, c.caseId);
          if (!row) continue;
          const kase = toView(row);
          await emit(slaEvent('case.sla_breached', kase, c));
          await warnings.setDirect(tx, emit, breachWarning(c, kase), nowMs);
          log.info({ caseId: kase.id, clock: c.clock, seq: c.seq, unitId: c.unitId, deadline: chinaTime(c.deadlineMs) }, 'SLA deadline missed');
        }
        return due.length;
      });
      total += raised;
      if (raised < BATCH) break;
    }
    return total;
  }

  // The tick in flight, for idle(); the ticker arms the next run once it has settled.
  let inFlight: Promise<unknown> = Promise.resolve();
  const ticker = clockTicker(clock, sla.tickMs, (nowMs) => (inFlight = tick(nowMs)), (e) => log.error({ err: e }, 'SLA tick failed; trying again on the next one'));

  return {
    hook,
    tick,
    start: () => ticker.start(),
    stop: () => ticker.stop(),
    async idle() {
      await inFlight.catch(() => undefined); // the ticker logs it
      // Let the ticker's own handlers (log, arm the next run) finish first.
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    async clocksOf(caseId) {
      if (!isCaseId(caseId)) return [];
      return (await listClocks(db, caseId)).map(toClockView);
    },
  };
}

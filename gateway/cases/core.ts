import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Db, Queryable } from '../storage/db.js';
import type { EventFeed, NewEvent } from '../events/types.js';
import type { Emit } from '../warnings/types.js';
import type { CaseChange, CaseHook, CaseView } from './types.js';

/** What the case modules share: storage, time, the feed every change goes through, and the hooks. */
export interface CaseCore {
  db: Db;
  clock: Clock;
  feed: EventFeed;
  log: Logger;
  hooks: CaseHook[];
}

export type CaseEventType = 'case.opened' | 'case.status' | 'case.updated' | 'case.report_confirmed';

/** A case.* event (docs/cases.md "Events"): subject, block, grade and exercise as on the case. */
export function caseEvent(type: CaseEventType, c: CaseView, data: Record<string, unknown> = {}): NewEvent {
  return { type, subject: { type: 'case', id: c.id }, blockCode: c.blockCode || null, grade: c.grade, exercise: c.exercise, data: { case: c, ...data } };
}

/** Runs every hook in order inside the change's transaction; a hook that throws rolls the change back. */
export async function runHooks(core: CaseCore, tx: Queryable, emit: Emit, change: CaseChange, nowMs: number): Promise<void> {
  for (const hook of core.hooks) await hook(tx, emit, change, nowMs);
}

export function notFound(id: string): GatewayError {
  return new GatewayError('GW_ERR_NOT_FOUND', `case ${id} does not exist`);
}

import { GatewayError } from '../core/errors.js';
import type { CaseStatus, TransitionInput } from './types.js';

/**
 * The case lifecycle (DOMAIN.md "Case lifecycle"; docs/cases.md "Allowed steps"): which step
 * may be taken from which status. Steps are the statuses a case can move to, plus `resumed`
 * (back to where a suspension began). `new` is only ever the first status.
 */
export type Step = TransitionInput['to'];

export const steps = ['reported', 'dispatched', 'signed', 'arrived', 'handled', 'verified', 'closed', 'returned', 'suspended', 'resumed'] as const satisfies readonly Step[];

/** Every status but closed and suspended: where a case can still move on. */
export const openStatuses = ['new', 'reported', 'dispatched', 'signed', 'arrived', 'handled', 'verified', 'returned'] as const satisfies readonly CaseStatus[];

export const allowedFrom: Readonly<Record<Step, readonly CaseStatus[]>> = {
  // The district registered (立案) what we reported.
  reported: ['new'],
  // From new as well: the district may dispatch before its acceptance reaches us. From
  // dispatched: a re-dispatch to another unit before it signed. From returned: 退单, then again.
  dispatched: ['new', 'reported', 'dispatched', 'returned'],
  signed: ['dispatched'],
  arrived: ['signed'],
  handled: ['arrived'],
  verified: ['handled'],
  // Never a case that was not handled: closing one never dispatched is the classic bad step.
  closed: ['handled', 'verified'],
  // 退单: the unit gives the case back until it has handled it.
  returned: ['dispatched', 'signed', 'arrived'],
  // 延期 / 挂账: from any open status; `resumed` goes back to it.
  suspended: openStatuses,
  resumed: ['suspended'],
};

/** The column holding the time a case reached a status (CaseView `times`). */
export const timeColumns = {
  reported: 'reported_at_ms',
  dispatched: 'dispatched_at_ms',
  signed: 'signed_at_ms',
  arrived: 'arrived_at_ms',
  handled: 'handled_at_ms',
  verified: 'verified_at_ms',
  closed: 'closed_at_ms',
} as const;
export type TimedStatus = keyof typeof timeColumns;

export function isTimedStatus(s: string): s is TimedStatus {
  return Object.hasOwn(timeColumns, s);
}

/** Throws GW_ERR_CASE_TRANSITION naming the case, its status and the step, and where the step is allowed from. */
export function checkStep(caseId: string, current: CaseStatus, step: Step): void {
  const from = allowedFrom[step];
  if (from.includes(current)) return;
  throw new GatewayError(
    'GW_ERR_CASE_TRANSITION',
    `case ${caseId} is ${current}: it cannot be ${step} (${step} is allowed from ${from.join(', ')})`,
    [{ field: '/to', message: `${step} is not allowed from ${current}` }],
  );
}

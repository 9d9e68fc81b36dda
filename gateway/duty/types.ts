import type { Queryable } from '../storage/db.js';
import type { Grade } from '../../rules/schema.js';
import type { Emit } from '../warnings/types.js';

/**
 * 叫应 (acknowledge-or-escalate, seed 003 §四): an orange or red warning calls the person on duty
 * for its block and kind; unanswered by the deadline, it reminds, then escalates along the
 * chain (duty officer → leader on duty → head) following the call plan for its category.
 * Every call, reminder, escalation and acknowledgement is a row and an event.
 */
export type ChainRole = 'duty_officer' | 'leader_on_duty' | 'head';

export interface CalloutRequest {
  warningId: string;
  fingerprint: string;
  grade: Grade;
  kind: string | null;
  blockCode: string;
  category: string;
  /** Acknowledge within this long of the first call. */
  deadlineMs: number;
  remindEveryMs: number;
  /** The rule's own chain; empty: the call plan of the category decides (docs/duty.md). */
  chain: ChainRole[];
  exercise: boolean;
  /** One line for the call: "Orange waterlogging warning at 东环路 (depth 42 cm)". */
  summary: string;
}

export interface CalloutStatus {
  warningId: string;
  state: 'calling' | 'acknowledged' | 'cancelled' | 'exhausted';
  step: number;
  role: ChainRole;
  deadlineMs: number;
  acknowledgedBy: string | null;
  acknowledgedAtMs: number | null;
}

/**
 * `emit` (optional, last): the event transaction's emitter, when the caller runs inside
 * `EventFeed.transaction`; the callout.* events then commit with the change. Without it the
 * events are kept on the callout log and emitted by the next `tick`.
 */
export interface Duty {
  /** Starts (or, on a grade change, restarts at the current step) the callout for a warning. Idempotent per warning and grade. */
  startCallout(tx: Queryable, req: CalloutRequest, nowMs: number, emit?: Emit): Promise<void>;
  /** Records the acknowledgement; false when there was no open callout. */
  acknowledge(tx: Queryable, warningId: string, by: { actor: string; personId?: string | null; note?: string | null }, nowMs: number, emit?: Emit): Promise<boolean>;
  /** Stops a callout (the warning cleared or was closed by hand). */
  cancel(tx: Queryable, warningId: string, reason: string, nowMs: number, emit?: Emit): Promise<void>;
  status(warningId: string): Promise<CalloutStatus | null>;
  /** The call log of one warning (calls, reminders, escalations, acknowledgement), oldest first. */
  log(warningId: string): Promise<Array<{ atMs: number; type: string; role: string | null; person: string | null; channel: string | null; detail: string }>>;
  /** Fires due reminders and escalations (driven by a clock timer; idempotent, SKIP LOCKED). */
  tick(nowMs: number): Promise<void>;
}

import type { Queryable } from '../storage/db.js';
import type { Emit, CaseOpener } from '../warnings/types.js';
import type { Grade } from '../../rules/schema.js';

/**
 * Cases (DESIGN.md "Case", DOMAIN.md "Case lifecycle"): what goes to the district and is
 * followed to closure. Tables in migration 011. Every change runs in an event-feed transaction
 * and emits a `case.*` event; the district link (gateway/district) forwards from those events,
 * the SLA clocks (gateway/sla) hook in through `CaseHooks`.
 */

export const caseStatuses = ['new', 'reported', 'dispatched', 'signed', 'arrived', 'handled', 'verified', 'closed', 'returned', 'suspended'] as const;
export type CaseStatus = (typeof caseStatuses)[number];
export type CaseSource = 'warning' | 'external' | 'manual';
export type ActorType = 'user' | 'district' | 'system' | 'source';

/** Who made a change: a user (id from the principal), the district (feedback), the gateway itself, or an external source. */
export interface CaseActor {
  type: ActorType;
  /** user id, `district`, `system`, `source:12345`. */
  id: string;
}

export interface CaseLocation {
  lon?: number;
  lat?: number;
  address?: string;
}

/** The case as the API, events and the district see it (times ISO 8601 with +08:00). */
export interface CaseView {
  /** Our case id (decimal string): the key in every message both ways. */
  id: string;
  source: CaseSource;
  sourceName: string;
  externalId: string | null;
  warningId: string | null;
  districtCaseNo: string | null;
  category: string;
  kind: string | null;
  grade: Grade | null;
  title: string;
  description: string;
  blockCode: string;
  location: CaseLocation;
  status: CaseStatus;
  unit: { id: string; tier: 1 | 2 | 3 } | null;
  exercise: boolean;
  incidentAt: string;
  createdAt: string;
  updatedAt: string;
  /** Time of each status reached so far (reportedAt, dispatchedAt, ...), null when not yet. */
  times: Record<'reported' | 'dispatched' | 'signed' | 'arrived' | 'handled' | 'verified' | 'closed', string | null>;
  createdBy: string;
}

/** A lifecycle step. `to: 'resumed'` ends a suspension (back to where it was). */
export interface TransitionInput {
  caseId: string;
  to: Exclude<CaseStatus, 'new'> | 'resumed';
  actor: CaseActor;
  /** When it happened (event time; feedback carries the district's time); default now. */
  atMs?: number;
  note?: string | null;
  /** dispatched: the unit (a duty unit id; tier from the registry, or given by the district). */
  unit?: { id: string; tier?: 1 | 2 | 3 };
  /** The district's own case number, stored when it first gives one. */
  districtCaseNo?: string;
  data?: Record<string, unknown>;
}

export interface NewCaseInput {
  source: Exclude<CaseSource, 'warning'>;
  /** external: the source id; manual: ignored (the actor). */
  sourceName?: string;
  /** external: the source's own report id (one case per report: a repeat returns the first). */
  externalId?: string;
  category: string;
  kind?: string | null;
  grade?: Grade | null;
  title: string;
  description?: string;
  blockCode?: string;
  location?: CaseLocation;
  /** When it happened, from the report; default now. */
  incidentAtMs?: number;
  exercise?: boolean;
  data?: Record<string, unknown>;
}

/** What changed on a case, handed to the hooks inside the transaction that made it. */
export type CaseChange =
  | { type: 'opened'; case: CaseView }
  | { type: 'transition'; case: CaseView; from: CaseStatus; to: CaseStatus; atMs: number; actor: CaseActor }
  | { type: 'report_confirmed'; case: CaseView; atMs: number; actor: CaseActor };

/** In-transaction listeners (the SLA clocks): they run after the change is written, before COMMIT. */
export type CaseHook = (tx: Queryable, emit: Emit, change: CaseChange, nowMs: number) => Promise<void>;

export interface CaseQuery {
  status?: CaseStatus[];
  source?: CaseSource;
  blockPrefix?: string;
  unitId?: string;
  fromMs?: number;
  toMs?: number;
  after?: string;
  limit?: number;
}

export interface CaseService extends CaseOpener {
  /** Runs the hooks of every change (gateway/sla registers here); call before start. */
  addHook(hook: CaseHook): void;
  /** An external report or a case by hand; a repeated (source, externalId) returns the first case with duplicate: true. */
  create(input: NewCaseInput, actor: CaseActor): Promise<{ case: CaseView; duplicate: boolean }>;
  /** One lifecycle step; throws GatewayError (GW_ERR_NOT_FOUND, GW_ERR_CASE_TRANSITION) and changes nothing when it is not allowed. */
  transition(input: TransitionInput): Promise<CaseView>;
  /** The same inside the caller's transaction. */
  transitionIn(tx: Queryable, emit: Emit, input: TransitionInput, nowMs: number): Promise<CaseView>;
  /**
   * The district link: the district accepted the case message (2xx). Moves `new` → `reported`
   * (actor district) once; later calls only store the district's case number if it is new.
   */
  markReported(caseId: string, atMs: number, districtCaseNo?: string | null): Promise<void>;
  get(id: string): Promise<CaseView | undefined>;
  list(q: CaseQuery): Promise<{ cases: CaseView[]; nextCursor: string | null }>;
}

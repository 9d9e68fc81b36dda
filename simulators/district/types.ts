import { Type, type Static } from 'typebox';
import type { Clock } from '../../gateway/core/clock.js';
import type { Logger } from '../../gateway/core/log.js';
import type { EndpointName } from '../../gateway/district/types.js';

export type { EndpointName } from '../../gateway/district/types.js';

/**
 * How one endpoint of the simulated district platform behaves (docs/district-simulator.md):
 * up; down (the port stops listening: connection refused); status N (every request answered N);
 * slow (each answer delayed); flaky (a seeded share of requests get 500 or a dropped
 * connection); refuse (200 with `{ok: false}`, which the gateway must not take as success).
 */
export const SimModeSchema = Type.Union([
  Type.Object({ type: Type.Literal('up') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('down') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('status'), status: Type.Integer({ minimum: 100, maximum: 599 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('slow'), delayMs: Type.Integer({ minimum: 0, maximum: 600_000 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('flaky'), percent: Type.Number({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('refuse') }, { additionalProperties: false }),
]);
export type SimMode = Static<typeof SimModeSchema>;

export const endpointSelectors = ['primary', 'backup', 'both'] as const;
export type EndpointSelector = (typeof endpointSelectors)[number];

/** What a delivery carries, from its path: `/cases`, `/cases/{id}/reports`, `/cases/{id}/pictures`, `/warnings`, `/shared/{dataset}`. */
export type DeliveryKind = 'case' | 'case_report' | 'picture' | 'warning' | 'shared';
export type DeliveryFormat = 'json' | 'cap' | 'jpeg';

export interface CapSummary {
  identifier: string;
  msgType: string;
  status: string;
  /** The CAP `references` element of an Update or Cancel, as sent. */
  references: string | null;
}

export interface PictureInfo {
  cameraId: string;
  capturedAt: string;
  bytes: number;
  sha256: string;
}

/** One delivery the district stored (the first with its Idempotency-Key). */
export interface StoredDelivery {
  /** 1, 2, … in arrival order. */
  seq: number;
  key: string;
  kind: DeliveryKind;
  format: DeliveryFormat;
  path: string;
  /** The endpoint that received it first. */
  endpoint: EndpointName;
  caseId: string | null;
  warningId: string | null;
  /** The district's number of the case this delivery belongs to (cases, reports, pictures). */
  districtCaseNo: string | null;
  receivedAt: string;
  receivedAtMs: number;
  /** Parsed JSON; CAP: the XML text; pictures: the JPEG bytes (a Buffer; left out by the control API). Null with keepBodies: false. */
  body: unknown;
  cap: CapSummary | null;
  picture: PictureInfo | null;
  /** How many times the same key came again (acknowledged as duplicate, not stored again). */
  repeats: number;
}

export interface DeliveryFilter {
  kind?: string;
  caseId?: string;
  endpoint?: EndpointName;
}

export interface SimStats {
  /** Every POST to a delivery endpoint that was read, whatever the answer. */
  received: number;
  /** Deliveries stored (first of their Idempotency-Key). */
  unique: number;
  /** Repeats of a stored key, acknowledged `{ok: true, duplicate: true}`. */
  duplicates: number;
  rejected: { signature: number; other: number };
  /** Stored deliveries per kind. */
  byKind: Record<string, number>;
  /** Acknowledged deliveries (stored and duplicates) per endpoint. */
  byEndpoint: Record<EndpointName, number>;
  /** Requests answered with a failure because of the endpoint's mode (status, flaky, refuse). */
  failedByMode: number;
  feedback: { sent: number; ok: number; failed: number };
}

export const feedbackActions = ['accepted', 'dispatched', 'signed', 'arrived', 'handled', 'verified', 'closed', 'returned', 'suspended', 'resumed'] as const;
export type FeedbackAction = (typeof feedbackActions)[number];

export interface FeedbackUnit {
  id: string;
  tier?: 1 | 2 | 3;
  name?: string;
}

/**
 * The district's own schedule after a case arrives. Each delay counts from the step before it
 * (accepted from the case's arrival); a step whose delay is not given is skipped and the next
 * counts from the last one scheduled.
 */
export interface FeedbackOptions {
  /** The gateway's base URL; feedback goes to `{gatewayUrl}/api/v1/district/feedback`. */
  gatewayUrl: string;
  /** district.feedbackSecret of the gateway. */
  secret: string;
  acceptAfterMs?: number;
  dispatchAfterMs?: number;
  signAfterMs?: number;
  arriveAfterMs?: number;
  handleAfterMs?: number;
  verifyAfterMs?: number;
  closeAfterMs?: number;
  /** The unit named in `dispatched` (default `{id: 'district-unit', tier: 1}`). */
  unit?: { id: string; tier: 1 | 2 | 3; name?: string };
  /** Further attempts after a network error, 429 or 5xx (default 3), each after retryDelayMs on the clock (default 1000). */
  retries?: number;
  retryDelayMs?: number;
  /** Real-time limit of one POST (default 10 s). */
  timeoutMs?: number;
}

export interface FeedbackBody {
  caseId: string;
  action: FeedbackAction;
  at: string;
  districtCaseNo?: string;
  unit?: FeedbackUnit;
  note?: string;
}

/** One feedback message and what the gateway answered (updated in place while it is retried). */
export interface FeedbackRecord {
  seq: number;
  caseId: string;
  action: FeedbackAction;
  body: FeedbackBody;
  /** pending: not answered yet (or waiting to retry); ok: 2xx; failed: gave up. */
  state: 'pending' | 'ok' | 'failed';
  attempts: number;
  /** HTTP status of the last answer; null after a network error or before any answer. */
  status: number | null;
  /** The last answer's body (JSON when it was JSON). */
  answer: unknown;
  error: string | null;
}

export interface DistrictSimulatorOptions {
  /** district.secret: deliveries must be signed with it (empty: signatures are not checked). */
  secret: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Fixed ports (0 or absent: a free port picked by the system). */
  ports?: { primary?: number; backup?: number; control?: number };
  /** How far X-CityOps-Timestamp may be from the clock; default 5 minutes. */
  toleranceMs?: number;
  /** Seeds the flaky mode's choices (default 1). */
  seed?: number;
  /** Largest JSON or CAP body (default 1 MiB) and JPEG (default 8 MiB). */
  maxBodyBytes?: number;
  maxPictureBytes?: number;
  /** Keep each delivery's body (default true); false keeps only what identifies it, for long benchmark runs. */
  keepBodies?: boolean;
  /**
   * Check JSON bodies against the full message schemas of gateway/district/messages.ts (the
   * documented contract), not only the fields the simulator reads (default false).
   */
  strict?: boolean;
  feedback?: FeedbackOptions;
  logger?: Logger;
  /** Signature windows, case numbers, received times and the feedback schedule (default systemClock). */
  clock?: Clock;
}

export interface DistrictSimulator {
  primaryUrl: string;
  backupUrl: string;
  controlUrl: string;
  setMode(endpoint: EndpointSelector, mode: SimMode): Promise<void>;
  modes(): Record<EndpointName, SimMode>;
  stats(): SimStats;
  deliveries(filter?: DeliveryFilter): StoredDelivery[];
  feedback(filter?: { caseId?: string }): FeedbackRecord[];
  /** Sends one feedback message now (outside the schedule: returned, suspended, …). */
  sendFeedback(caseId: string, action: FeedbackAction, extra?: { unit?: FeedbackUnit; note?: string }): Promise<FeedbackRecord>;
  /** Resolves when `predicate(simulator)` holds (checked every few ms); rejects after timeoutMs of real time (default 10 s). */
  waitFor(predicate: (sim: DistrictSimulator) => boolean, timeoutMs?: number): Promise<void>;
  /** Forgets every delivery and feedback, cancels scheduled feedback and brings both endpoints up. */
  /** Sets (or replaces) the feedback schedule and target: for a gateway started after the simulator. */
  setFeedback(options: FeedbackOptions): void;
  reset(): Promise<void>;
  close(): Promise<void>;
}

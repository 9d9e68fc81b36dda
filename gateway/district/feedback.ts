import { Type, type Static } from 'typebox';
import { GatewayError } from '../core/errors.js';
import type { Queryable } from '../storage/db.js';
import type { Emit } from '../warnings/types.js';
import type { CaseService, CaseStatus, CaseView, TransitionInput } from '../cases/types.js';
import { districtActor } from '../cases/transition.js';
import { verifySignature } from '../outbox/signature.js';
import { CaseViewSchema } from '../cases/schema.js';
import { noncePattern } from './nonces.js';

/**
 * District feedback (docs/district-link.md "Feedback"): `POST /api/v1/district/feedback`,
 * signed with district.feedbackSecret over "{timestamp}.{nonce}.{body}", moves one case one
 * step. The checks run in this order, so an unsigned caller learns nothing about cases:
 * signature and freshness (401), body (400), nonce (409 replay), case (404), step (409).
 */

export const feedbackActions = ['accepted', 'dispatched', 'signed', 'arrived', 'handled', 'verified', 'closed', 'returned', 'suspended', 'resumed'] as const;
export type FeedbackAction = (typeof feedbackActions)[number];

export const FeedbackBody = Type.Object(
  {
    caseId: Type.String({ pattern: '^[0-9]{1,18}$', description: 'Our case id, as in the case message.' }),
    action: Type.Enum(feedbackActions, {
      description: 'accepted: the district registered the case (立案; the case becomes reported if it is not yet); dispatched: sent to a unit (派遣; `unit` required); signed: the unit signed for it (签收); arrived: on the scene; handled: dealt with (处置); verified: checked (核查); closed (结案); returned (退单); suspended (延期/挂账); resumed: a suspension ends.',
    }),
    at: Type.String({ format: 'date-time', description: 'When it happened at the district, ISO 8601 with an offset; the SLA clocks count from it. Not more than district.feedbackToleranceMs ahead of the gateway\'s clock.' }),
    districtCaseNo: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "The district's own case number; stored the first time it is given." })),
    unit: Type.Optional(Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 64, description: 'The unit, by the id both sides agreed (the gateway\'s duty unit registry).' }),
        tier: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3)], { description: 'Seed 004: 1 round the clock, 2 government duty hours, 3 office hours; default the registry\'s.' })),
        name: Type.Optional(Type.String({ maxLength: 200 })),
      },
      { additionalProperties: false, description: 'dispatched: the unit the case went to.' },
    )),
    note: Type.Optional(Type.String({ maxLength: 2000, description: 'Free text kept with the step.' })),
  },
  { additionalProperties: false },
);
export type FeedbackBody = Static<typeof FeedbackBody>;

export const FeedbackAnswer = Type.Object(
  {
    ok: Type.Literal(true),
    duplicate: Type.Boolean({ description: 'true: the case had already taken this step from the district at this `at` (a retry after a lost answer); nothing changed.' }),
    case: CaseViewSchema,
  },
  { additionalProperties: false, description: 'The case after the step.' },
);

export const FeedbackHeaders = Type.Object({
  'x-cityops-timestamp': Type.Optional(Type.String({ description: 'Unix time in seconds when the request was signed.' })),
  'x-cityops-nonce': Type.Optional(Type.String({ description: '16–64 characters [A-Za-z0-9_-], never used before.' })),
  'x-cityops-signature': Type.Optional(Type.String({ description: '`sha256=` + hex HMAC-SHA256(district.feedbackSecret, "{timestamp}.{nonce}.{raw body}").' })),
});

export interface SignedRequest {
  timestamp: string | undefined;
  nonce: string | undefined;
  signature: string | undefined;
  /** The raw body, exactly as received. */
  body: string;
}

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? undefined : v);

export function signedRequest(headers: Record<string, string | string[] | undefined>, body: string): SignedRequest {
  return { timestamp: header(headers['x-cityops-timestamp']), nonce: header(headers['x-cityops-nonce']), signature: header(headers['x-cityops-signature']), body };
}

/** Throws GW_ERR_SIGNATURE naming what is wrong; returns the nonce of a good request. */
export function checkSignature(r: SignedRequest, opts: { secret: string; toleranceMs: number; nowMs: number }): string {
  const refuse = (message: string) => new GatewayError('GW_ERR_SIGNATURE', message);
  if (opts.secret === '') throw refuse('district feedback is not enabled: district.feedbackSecret is not set');
  const missing = ([['X-CityOps-Timestamp', r.timestamp], ['X-CityOps-Nonce', r.nonce], ['X-CityOps-Signature', r.signature]] as const).filter(([, v]) => v === undefined || v === '').map(([n]) => n);
  if (missing.length > 0) throw refuse(`unsigned request: ${missing.join(', ')} missing`);
  const { timestamp = '', nonce = '', signature = '' } = r;
  if (!/^[0-9]{1,12}$/.test(timestamp)) throw refuse('X-CityOps-Timestamp must be Unix time in whole seconds');
  const skewMs = opts.nowMs - Number(timestamp) * 1000;
  if (Math.abs(skewMs) > opts.toleranceMs) {
    throw refuse(`X-CityOps-Timestamp is ${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs > 0 ? 'behind' : 'ahead of'} the gateway's clock; at most ${Math.round(opts.toleranceMs / 1000)} s are accepted (sign each request when it is sent)`);
  }
  if (!noncePattern.test(nonce)) throw refuse('X-CityOps-Nonce must be 16 to 64 characters of A-Z, a-z, 0-9, _ and -');
  if (!verifySignature({ secret: opts.secret, timestamp, nonce, body: r.body, signature, nowMs: opts.nowMs, toleranceMs: opts.toleranceMs })) {
    throw refuse('X-CityOps-Signature does not match: expected sha256= and the hex HMAC-SHA256 with the district key over "{timestamp}.{nonce}.{body}", the body exactly as sent');
  }
  return nonce;
}

const steps: Record<Exclude<FeedbackAction, 'accepted'>, TransitionInput['to']> = {
  dispatched: 'dispatched', signed: 'signed', arrived: 'arrived', handled: 'handled', verified: 'verified', closed: 'closed', returned: 'returned', suspended: 'suspended', resumed: 'resumed',
};

/** What the body cannot say by its schema; GW_ERR_VALIDATION naming the field. */
export function checkFeedback(fb: FeedbackBody, opts: { nowMs: number; toleranceMs: number }): number {
  const atMs = Date.parse(fb.at);
  if (Number.isNaN(atMs)) throw new GatewayError('GW_ERR_VALIDATION', `feedback "at" is not a time: ${fb.at}`, [{ field: '/at', message: 'is not a time' }]);
  if (atMs > opts.nowMs + opts.toleranceMs) {
    throw new GatewayError('GW_ERR_VALIDATION', `feedback "at" ${fb.at} is in the future of the gateway's clock`, [{ field: '/at', message: 'is in the future' }]);
  }
  if (fb.action === 'dispatched' && fb.unit === undefined) throw new GatewayError('GW_ERR_VALIDATION', 'a dispatched feedback names the unit', [{ field: '/unit', message: 'is required for dispatched' }]);
  return atMs;
}

export type FeedbackCases = Pick<CaseService, 'transitionIn' | 'markReported' | 'get'>;

/**
 * The outcome inside the transaction: the case moved; or an `accepted` of a case that already
 * left `new`, to record through markReported after the commit (it stores the district's case
 * number, and a reported time a case may lack, idempotently); or a repeat of a step the case
 * already took from the district at the same time (a retry after a lost answer): nothing to do.
 */
export type Applied =
  | { kind: 'moved'; case: CaseView }
  | { kind: 'accepted'; caseId: string; atMs: number; districtCaseNo: string | null }
  | { kind: 'duplicate'; caseId: string };

/**
 * One step, inside the caller's transaction (the one that took the nonce). The case row is
 * locked first, so an `accepted` races neither the link's own "delivered" nor another step.
 */
export async function applyFeedback(tx: Queryable, emit: Emit, cases: FeedbackCases, fb: FeedbackBody, atMs: number, nowMs: number): Promise<Applied> {
  const found = await tx.query<{ status: CaseStatus }>('SELECT status FROM cases WHERE id = $1 FOR UPDATE', [fb.caseId]);
  const row = found.rows[0];
  if (!row) throw new GatewayError('GW_ERR_NOT_FOUND', `case ${fb.caseId} does not exist`);
  const seen = await tx.query(
    "SELECT 1 FROM case_transitions WHERE case_id = $1 AND actor_type = 'district' AND at_ms = $2 AND data->>'action' = $3 LIMIT 1",
    [fb.caseId, atMs, fb.action],
  );
  if (seen.rows.length > 0) return { kind: 'duplicate', caseId: fb.caseId };
  const base = { caseId: fb.caseId, actor: districtActor, atMs, note: fb.note ?? null, ...(fb.districtCaseNo !== undefined ? { districtCaseNo: fb.districtCaseNo } : {}) };
  const data = { via: 'district_feedback', action: fb.action, ...(fb.unit?.name !== undefined ? { unitName: fb.unit.name } : {}) };
  if (fb.action === 'accepted') {
    // Registered: new → reported once; later only the district's case number may be new.
    if (row.status === 'new') return { kind: 'moved', case: await cases.transitionIn(tx, emit, { ...base, to: 'reported', data }, nowMs) };
    return { kind: 'accepted', caseId: fb.caseId, atMs, districtCaseNo: fb.districtCaseNo ?? null };
  }
  const unit = fb.unit ? { id: fb.unit.id, ...(fb.unit.tier !== undefined ? { tier: fb.unit.tier } : {}) } : undefined;
  return { kind: 'moved', case: await cases.transitionIn(tx, emit, { ...base, to: steps[fb.action], data, ...(unit ? { unit } : {}) }, nowMs) };
}

import type { FastifyRequest } from 'fastify';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody, toGatewayError } from '../http/errors.js';
import { publicRoute, roles } from '../auth/roles.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import { componentLogger } from '../core/log.js';
import type { EventFeed } from '../events/types.js';
import type { DistrictLinkStatus } from './types.js';
import { applyFeedback, checkFeedback, checkSignature, FeedbackAnswer, FeedbackBody, FeedbackHeaders, signedRequest, type FeedbackCases } from './feedback.js';
import { pruneNonces, takeNonce } from './nonces.js';
import { DistrictStatus, districtMessageCounts } from './routes-status.js';

export interface DistrictRouteOptions {
  feed: Pick<EventFeed, 'transaction'>;
  cases: FeedbackCases;
  /** The link's live status (DistrictLink.status). */
  linkStatus: () => DistrictLinkStatus;
}

const pruneEveryMs = 60_000;

/**
 * The district's side of the API (mounted at `/api/v1/district`): signed feedback that moves
 * cases, and the state of the link. The feedback route reads its body raw, because the
 * signature covers the exact bytes sent.
 */
export function districtRoutes(opts: DistrictRouteOptions): AreaPlugin {
  return async (app, { services }) => {
    const { db, clock, config } = services;
    const log = componentLogger(services.logger, 'district-feedback');
    const settings = () => ({ secret: config.district.feedbackSecret, toleranceMs: config.district.feedbackToleranceMs, nowMs: clock.now() });
    const raw = new WeakMap<FastifyRequest, { text: string; json: boolean }>();
    const nonces = new WeakMap<FastifyRequest, string>();
    let lastPruneMs = 0;

    // Keep the exact text for the signature; a body that is not JSON is refused after the signature check.
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      try {
        const parsed: unknown = JSON.parse(text);
        raw.set(req, { text, json: true });
        done(null, parsed);
      } catch {
        raw.set(req, { text, json: false });
        done(null, undefined);
      }
    });

    /** Spends the nonce of a signed request that failed for any reason but a replay: it cannot be replayed into success later. */
    async function burn(nonce: string, caseId: string | null): Promise<void> {
      const s = settings();
      try {
        await db.transaction((tx) => takeNonce(tx, { nonce, nowMs: s.nowMs, toleranceMs: s.toleranceMs, caseId, outcome: 'refused' }));
      } catch (e) {
        log.warn({ err: (e as Error).message }, 'could not record the nonce of a refused feedback request');
      }
    }

    async function prune(nowMs: number): Promise<void> {
      if (nowMs - lastPruneMs < pruneEveryMs) return;
      lastPruneMs = nowMs;
      await pruneNonces(db, nowMs).catch((e: Error) => log.warn({ err: e.message }, 'pruning old feedback nonces failed'));
    }

    app.post('/feedback', {
      config: publicRoute,
      // Validation errors are answered by the handler, after the signature check and with the nonce spent.
      attachValidation: true,
      preValidation: async (req) => {
        // Fastify parses text/plain itself: only the parser above keeps the bytes the signature covers.
        const body = raw.get(req);
        if (!body) throw new GatewayError('GW_ERR_UNSUPPORTED_MEDIA_TYPE', 'district feedback is a JSON body: send Content-Type: application/json');
        nonces.set(req, checkSignature(signedRequest(req.headers, body.text), settings()));
      },
      schema: {
        tags: ['district'],
        summary: 'District feedback: one lifecycle step of a case (signed, one-time nonce)',
        description: 'Signed with district.feedbackSecret: X-CityOps-Signature = sha256= + hex HMAC-SHA256 over "{X-CityOps-Timestamp}.{X-CityOps-Nonce}.{raw body}". Every nonce is spent by the first signed request that carries it, whatever the answer; see docs/district-link.md.',
        headers: FeedbackHeaders,
        body: FeedbackBody,
        response: { 200: FeedbackAnswer, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 415: ErrorBody },
      },
    }, async (req) => {
      const nonce = nonces.get(req);
      if (nonce === undefined) throw new GatewayError('GW_ERR_SIGNATURE', 'unsigned request');
      const s = settings();
      await prune(s.nowMs);
      const body = req.body as FeedbackBody;
      try {
        if (raw.get(req)?.json === false) throw new GatewayError('GW_ERR_VALIDATION', 'the request body is not valid JSON', [{ field: '/', message: 'is not valid JSON' }]);
        if (req.validationError) throw toGatewayError(req.validationError, config.http.bodyLimit) ?? req.validationError;
        const atMs = checkFeedback(body, s);
        const applied = await opts.feed.transaction(async (tx, emit) => {
          if (!(await takeNonce(tx, { nonce, nowMs: s.nowMs, toleranceMs: s.toleranceMs, caseId: body.caseId, outcome: 'accepted' }))) {
            throw new GatewayError('GW_ERR_REPLAY', `X-CityOps-Nonce ${nonce} was used before: refused as a replay; sign every request with a new nonce`);
          }
          return applyFeedback(tx, emit, opts.cases, body, atMs, s.nowMs);
        });
        if (applied.kind === 'moved') return { ok: true as const, duplicate: false, case: applied.case };
        if (applied.kind === 'accepted') await opts.cases.markReported(applied.caseId, applied.atMs, applied.districtCaseNo);
        const found = await opts.cases.get(applied.caseId);
        if (!found) throw new GatewayError('GW_ERR_NOT_FOUND', `case ${applied.caseId} does not exist`);
        return { ok: true as const, duplicate: applied.kind === 'duplicate', case: found };
      } catch (e) {
        const caseId = (req.body as Partial<FeedbackBody> | undefined)?.caseId;
        if (!(isGatewayError(e) && e.code === 'GW_ERR_REPLAY')) await burn(nonce, typeof caseId === 'string' ? caseId : null);
        throw e;
      }
    });

    app.get('/status', {
      config: roles('ops', 'district', 'viewer'),
      schema: {
        tags: ['district'],
        summary: 'The district link: active endpoint, endpoint health, and district messages by state',
        response: { 200: DistrictStatus, 401: ErrorBody, 403: ErrorBody },
      },
    }, async () => ({ link: opts.linkStatus(), messages: await districtMessageCounts(db, clock.now()) }));
  };
}

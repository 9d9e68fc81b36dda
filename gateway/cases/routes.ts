import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import type { Authenticator } from '../auth/authenticate.js';
import { GatewayError } from '../core/errors.js';
import type { Cases } from './service.js';
import { CaseDetail, CaseIdParams, CaseList, CaseListQuery, CaseViewSchema, TransitionBody } from './schema.js';
import { notFound } from './core.js';
import { createCaseRoute } from './routes-create.js';
import { reportRoutes } from './routes-report.js';
import { fileRoutes } from './routes-file.js';

export interface CaseRoutesOptions {
  /** The app's authenticator: `POST /cases` without X-CityOps-Source authenticates the caller itself (the route is public to signed sources). */
  authenticate: Authenticator;
  /** How far an external source's X-CityOps-Timestamp may be from now; default 5 minutes. */
  signatureToleranceMs?: number;
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const readers = roles('ops', 'district', 'viewer');
/** A step by hand may not claim a time this far ahead of the gateway's clock. */
const futureSlackMs = 60_000;

/**
 * Cases (`/api/v1/cases`, docs/cases.md): list, detail, open (external sources signed, or by
 * hand), steps by hand, the written report, deliveries and the case file. The district moves
 * cases through its signed feedback (gateway/district), not through these routes.
 */
export function caseRoutes(cases: Cases, opts: CaseRoutesOptions): AreaPlugin {
  return async (app, area) => {
    const { audit, clock } = area.services;

    app.get('', {
      config: readers,
      schema: { tags: ['cases'], summary: 'List cases, newest first (cursor on id)', querystring: CaseListQuery, response: { 200: CaseList, ...errors } },
    }, async (req) => {
      const q = req.query;
      const fromMs = q.from !== undefined ? Date.parse(q.from) : undefined;
      const toMs = q.to !== undefined ? Date.parse(q.to) : undefined;
      if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw new GatewayError('GW_ERR_VALIDATION', '`from` must be before `to`', [{ field: '/from', message: 'must be before to' }]);
      return cases.list({
        limit: q.limit,
        ...(q.status !== undefined ? { status: q.status } : {}),
        ...(q.source !== undefined ? { source: q.source } : {}),
        ...(q.block !== undefined ? { blockPrefix: q.block } : {}),
        ...(q.unit !== undefined ? { unitId: q.unit } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
        ...(q.cursor !== undefined ? { after: q.cursor } : {}),
      });
    });

    app.get('/:id', {
      config: readers,
      schema: { tags: ['cases'], summary: 'One case with every transition and its actor', params: CaseIdParams, response: { 200: CaseDetail, ...errors } },
    }, async (req) => {
      const detail = await cases.detail(req.params.id);
      if (!detail) throw notFound(req.params.id);
      return detail;
    });

    app.post('/:id/transitions', {
      config: roles('ops'),
      schema: {
        tags: ['cases'],
        summary: 'Move a case one lifecycle step by hand, with a note',
        description: 'Allowed steps: docs/cases.md. An illegal step is 409 GW_ERR_CASE_TRANSITION naming the status and the step; nothing changes. The district moves cases through its signed feedback instead.',
        params: CaseIdParams,
        body: TransitionBody,
        response: { 200: CaseViewSchema, ...errors },
      },
    }, async (req) => {
      const b = req.body;
      const atMs = b.at !== undefined ? Date.parse(b.at) : undefined;
      if (atMs !== undefined && atMs > clock.now() + futureSlackMs) throw new GatewayError('GW_ERR_VALIDATION', '`at` is in the future', [{ field: '/at', message: 'must not be in the future' }]);
      return cases.transition({
        caseId: req.params.id,
        to: b.to,
        actor: { type: 'user', id: req.principal.id },
        note: b.note ?? null,
        ...(atMs !== undefined ? { atMs } : {}),
        ...(b.unit !== undefined ? { unit: b.unit } : {}),
        ...(b.districtCaseNo !== undefined ? { districtCaseNo: b.districtCaseNo } : {}),
      }, {
        onWrite: (tx, w) => audit.record(tx, req, { action: 'case.transition', target: { type: 'case', id: w.after.id }, before: w.before, after: w.after }),
      });
    });

    const sub = { services: area.services };
    await app.register(createCaseRoute({ cases, authenticate: opts.authenticate, toleranceMs: opts.signatureToleranceMs }), sub);
    await app.register(reportRoutes(cases), sub);
    await app.register(fileRoutes(cases), sub);
  };
}

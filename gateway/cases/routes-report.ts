import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import type { Audit } from '../audit/audit.js';
import type { Cases } from './service.js';
import type { OnReportWrite, ReportAuthor } from './report.js';
import { CaseIdParams, ReportConfirmBody, ReportEditBody, ReportVersion, ReportView } from './schema.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** The written report of a case (seeds 000, 004): draft, edit in versions, confirm by the duty officer. */
export function reportRoutes(cases: Cases): AreaPlugin {
  return async (app, { services }) => {
    const { audit } = services;

    app.get('/:id/written-report', {
      config: roles('ops', 'district', 'viewer'),
      schema: {
        tags: ['cases'],
        summary: 'The written report: the current version, or a draft from the case (version 0)',
        params: CaseIdParams,
        response: { 200: ReportView, ...errors },
      },
    }, async (req) => cases.reports.get(req.params.id));

    app.get('/:id/written-report/versions', {
      config: roles('ops', 'district', 'viewer'),
      schema: { tags: ['cases'], summary: 'Every saved version of the written report, oldest first, with who edited and confirmed it', params: CaseIdParams, response: { 200: Type.Object({ versions: Type.Array(ReportVersion) }), ...errors } },
    }, async (req) => ({ versions: await cases.reports.versions(req.params.id) }));

    app.put('/:id/written-report', {
      config: roles('ops'),
      schema: {
        tags: ['cases'],
        summary: 'Edit the written report: saves the next version (not yet confirmed)',
        description: 'Send `baseVersion` (the version you read) to be told (409) when someone saved a newer one meanwhile.',
        params: CaseIdParams,
        body: ReportEditBody,
        response: { 200: ReportView, ...errors },
      },
    }, async (req) => cases.reports.edit(req.params.id, req.body.report, authorOf(req), {
      ...(req.body.baseVersion !== undefined ? { baseVersion: req.body.baseVersion } : {}),
      note: req.body.note ?? null,
      onWrite: auditWrite(audit, req, 'case.report_edit'),
    }));

    app.post('/:id/written-report/confirm', {
      config: roles('ops'),
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) req.body = {};
      },
      schema: {
        tags: ['cases'],
        summary: 'The duty officer confirms the current version of the written report',
        description: 'Only a confirmed report counts: it stops the written-report clock and goes to the district (event case.report_confirmed). Confirming the confirmed version again changes nothing; a later edit needs confirming again.',
        params: CaseIdParams,
        body: ReportConfirmBody,
        response: { 200: ReportView, ...errors },
      },
    }, async (req) => cases.reports.confirm(req.params.id, authorOf(req), {
      ...(req.body.version !== undefined ? { version: req.body.version } : {}),
      onWrite: auditWrite(audit, req, 'case.report_confirm'),
    }));
  };
}

function authorOf(req: FastifyRequest): ReportAuthor {
  return { actor: { type: 'user', id: req.principal.id }, name: req.principal.name };
}

function auditWrite(audit: Audit, req: FastifyRequest, action: string): OnReportWrite {
  return (tx, r) => audit.record(tx, req, { action, target: { type: 'case', id: r.after.caseId }, before: { version: r.before.version, confirmed: r.before.confirmed }, after: { version: r.after.version, confirmed: r.after.confirmed, report: r.after.report } });
}

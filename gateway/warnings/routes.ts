import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import type { Audit } from '../audit/audit.js';
import { GatewayError } from '../core/errors.js';
import type { Actor } from './manual.js';
import { toView } from './repo.js';
import { TimelineEntry, WarningQuery, WarningView } from './schema.js';
import type { OnWrite, Warnings } from './service.js';

export const WarningIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,19}$', description: 'Warning id.' }) });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const readers = roles('ops', 'district', 'viewer');

/** Warnings (`/api/v1/warnings`): list, detail with the full timeline, 叫应 acknowledgement, comments, manual clear. */
export function warningRoutes(service: Warnings): AreaPlugin {
  return async (app, { services }) => {
    const { audit } = services;

    app.get('/', {
      config: readers,
      schema: { tags: ['warnings'], summary: 'List warnings, newest first (cursor on id)', querystring: WarningQuery, response: { 200: Type.Object({ warnings: Type.Array(WarningView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors } },
    }, async (req) => {
      if (req.query.from !== undefined && req.query.to !== undefined && Date.parse(req.query.from) >= Date.parse(req.query.to)) {
        throw new GatewayError('GW_ERR_VALIDATION', '`from` must be before `to`', [{ field: '/from', message: 'must be before to' }]);
      }
      return service.list(req.query);
    });

    app.get('/:id', {
      config: readers,
      schema: { tags: ['warnings'], summary: 'One warning with its timeline (grade changes, acknowledgement, comments, and the 叫应 call log)', params: WarningIdParams, response: { 200: Type.Object({ warning: WarningView, timeline: Type.Array(TimelineEntry) }), ...errors } },
    }, async (req) => {
      const detail = await service.get(req.params.id);
      if (!detail) throw new GatewayError('GW_ERR_NOT_FOUND', `warning ${req.params.id} does not exist`);
      return detail;
    });

    app.post('/:id/acknowledge', {
      config: roles('ops', 'platform'),
      // The body is optional: a bare POST acknowledges.
      preValidation: bodyOrEmpty,
      schema: {
        tags: ['warnings'],
        summary: '叫应: acknowledge a warning (records who; stops the callout)',
        description: 'Acknowledging an acknowledged warning changes nothing; a cleared one is a conflict.',
        params: WarningIdParams,
        body: Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })), personId: Type.Optional(Type.String({ maxLength: 200, description: 'The person on duty who answered, when the caller acknowledges for them.' })) }, { additionalProperties: false }),
        response: { 200: WarningView, ...errors },
      },
    }, async (req) => service.acknowledge(req.params.id, actorOf(req), { note: req.body.note ?? null, personId: req.body.personId ?? null, onWrite: auditWrite(audit, req, 'warning.acknowledge') }));

    app.post('/:id/comments', {
      config: roles('ops'),
      preValidation: bodyOrEmpty,
      schema: { tags: ['warnings'], summary: 'Add a comment to the timeline', params: WarningIdParams, body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }), response: { 201: WarningView, ...errors } },
    }, async (req, reply) => reply.code(201).send(await service.comment(req.params.id, actorOf(req), req.body.text, { onWrite: auditWrite(audit, req, 'warning.comment') })));

    app.post('/:id/clear', {
      config: roles('ops'),
      preValidation: bodyOrEmpty,
      schema: {
        tags: ['warnings'],
        summary: 'Clear a warning by hand, with a reason',
        description: 'The rule may still hold the grade: its next grade change raises a new warning.',
        params: WarningIdParams,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
        response: { 200: WarningView, ...errors },
      },
    }, async (req) => service.clear(req.params.id, actorOf(req), req.body.reason, { onWrite: auditWrite(audit, req, 'warning.clear') }));
  };
}

/** A POST without a body is validated as `{}`: the error names the missing field (`/reason: is required`), not the body. */
async function bodyOrEmpty(req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {};
}

function actorOf(req: FastifyRequest): Actor {
  return { name: req.principal.name, principalId: req.principal.id, role: req.principal.role };
}

function auditWrite(audit: Audit, req: FastifyRequest, action: string): OnWrite {
  return async (tx, r) => audit.record(tx, req, { action, target: { type: 'warning', id: String(r.after.id) }, before: toView(r.before), after: toView(r.after) });
}

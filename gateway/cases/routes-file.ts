import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import type { Cases } from './service.js';
import { CaseIdParams } from './schema.js';
import { CaseDeliveries } from './deliveries.js';
import { CaseFile } from './file-schema.js';
import { renderCaseFileHtml } from './file-html.js';
import { notFound } from './core.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const FileQuery = Type.Object(
  { format: Type.Optional(Type.Enum(['json', 'html'], { description: 'html: the printable page; default JSON, or HTML when Accept prefers text/html.' })) },
  { additionalProperties: false },
);

/** A browser asking for a page (Accept: text/html first), not an API client. */
function wantsHtml(req: FastifyRequest, format: 'json' | 'html' | undefined): boolean {
  if (format !== undefined) return format === 'html';
  const accept = req.headers.accept ?? '';
  return /^\s*text\/html\b/i.test(accept);
}

/** Delivery state and the case file (一事一档). */
export function fileRoutes(cases: Cases): AreaPlugin {
  return async (app) => {
    app.get('/:id/deliveries', {
      config: roles('ops'),
      schema: {
        tags: ['cases'],
        summary: 'Delivery state of a case: every outbox message about it and its warning, with attempts (and the endpoint of district attempts)',
        params: CaseIdParams,
        response: { 200: CaseDeliveries, ...errors },
      },
    }, async (req) => {
      const d = await cases.deliveries(req.params.id);
      if (!d) throw notFound(req.params.id);
      return d;
    });

    app.get('/:id/file', {
      config: roles('ops'),
      schema: {
        tags: ['cases'],
        summary: 'One event, one file: the whole record of a case, as JSON or a printable HTML page',
        description: 'Case, transitions with actors, its warning and the warning timeline with the 叫应 log, the device readings from 30 minutes before the incident to the close, pictures, SLA clocks, deliveries, district feedback, written report versions, audit trail and the case.* events.',
        params: CaseIdParams,
        querystring: FileQuery,
        response: {
          200: {
            description: 'The case file.',
            content: {
              'application/json': { schema: CaseFile },
              'text/html': { schema: Type.String({ description: 'The printable page (UTF-8).' }) },
            },
          },
          ...errors,
        },
      },
    }, async (req, reply) => {
      const file = await cases.file(req.params.id);
      if (!file) throw notFound(req.params.id);
      if (wantsHtml(req, req.query.format)) return reply.type('text/html; charset=utf-8').send(renderCaseFileHtml(file));
      return reply.type('application/json; charset=utf-8').send(file);
    });
  };
}

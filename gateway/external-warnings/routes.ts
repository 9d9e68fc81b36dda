import { Type } from 'typebox';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import { capInvalid, decodeXml } from './xml.js';
import { ExternalWarningDetail, ExternalWarningQuery, ExternalWarningView, ReceiveResult } from './schema.js';
import type { ExternalWarnings } from './service.js';

/** The media types a CAP alert may come as (application/cap+xml is CAP's own, RFC 7303 the others). */
export const capContentTypes = ['application/cap+xml', 'application/xml', 'text/xml'];

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 415: ErrorBody, 422: ErrorBody };
const IdParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,19}$', description: 'External warning id.' }) });
const readers = roles('ops', 'platform', 'district', 'viewer');

/** External CAP 1.2 warnings (`/api/v1/external-warnings`, docs/external-warnings.md). */
export function externalWarningRoutes(service: ExternalWarnings): AreaPlugin {
  return async (app) => {
    // Raw bytes: the charset may come from the XML declaration (GB 18030 feeds), so decoding is ours.
    app.addContentTypeParser(capContentTypes, { parseAs: 'buffer' }, (req, body, done) => {
      try {
        done(null, decodeXml(body as Buffer, req.headers['content-type']));
      } catch (e) {
        done(e as Error, undefined);
      }
    });

    app.post('/', {
      config: roles('platform', 'ops'),
      schema: {
        tags: ['external-warnings'],
        summary: 'Receive a CAP 1.2 alert (application/cap+xml): stored, and raised, regraded or cleared as a warning beside our own',
        description: 'A malformed alert is refused with GW_ERR_CAP_INVALID naming the element, and nothing is stored. The same alert again (sender and identifier) answers 200 with `duplicate: true`.',
        response: { 200: ReceiveResult, 201: ReceiveResult, ...errors },
      },
    }, async (req, reply) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!capContentTypes.includes(type)) {
        throw new GatewayError('GW_ERR_UNSUPPORTED_MEDIA_TYPE', `send the CAP alert as ${capContentTypes.join(', ')} (got ${type || 'no Content-Type'})`);
      }
      if (typeof req.body !== 'string') throw capInvalid('the body is empty, not an XML document', 'xml');
      const out = await service.receive(req.body, { name: req.principal.name });
      return reply.code(out.duplicate ? 200 : 201).send(out);
    });

    app.get('/', {
      config: readers,
      schema: {
        tags: ['external-warnings'],
        summary: 'Received CAP alerts, newest first (cursor on id)',
        querystring: ExternalWarningQuery,
        response: { 200: Type.Object({ externalWarnings: Type.Array(ExternalWarningView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors },
      },
    }, async (req) => service.list(req.query));

    app.get('/:id', {
      config: readers,
      schema: {
        tags: ['external-warnings'],
        summary: 'One received alert: what we made of it, the parsed CAP and the XML as received',
        params: IdParams,
        response: { 200: ExternalWarningDetail, ...errors },
      },
    }, async (req) => {
      const detail = await service.get(req.params.id);
      if (!detail) throw new GatewayError('GW_ERR_NOT_FOUND', `external warning ${req.params.id} does not exist`);
      return detail;
    });
  };
}

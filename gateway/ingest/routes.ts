import { Type } from 'typebox';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import { getPlatformAdapter } from '../../adapters/index.js';
import type { IngestPipeline } from './pipeline.js';
import { gatewayCodeFor } from './accept.js';

const Result = Type.Object({
  externalId: Type.String(),
  deviceId: Type.Union([Type.String(), Type.Null()]),
  ok: Type.Boolean(),
  readings: Type.Optional(Type.Integer()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) })),
});

/**
 * `POST /api/v1/ingest/{platform}`: platform-to-platform pushes (seed S1), e.g. CTWing's
 * dataReport or OneNET's property post. The key must be a platform key for that platform. The
 * answer comes once the readings (and dead letters for what was rejected) are durable.
 */
export function ingestRoutes(pipeline: IngestPipeline): AreaPlugin {
  return async (app) => {
    // Keep the raw bytes: a body that is not JSON is still kept as a dead letter.
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    app.post('/:platform', {
      config: roles('platform'),
      schema: {
        tags: ['ingest'],
        summary: 'Platform push (CTWing dataReport, OneNET property post)',
        params: Type.Object({ platform: Type.String() }),
        body: Type.Unknown(),
        response: { 200: Type.Object({ accepted: Type.Integer(), rejected: Type.Integer(), results: Type.Array(Result) }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody, 503: ErrorBody },
      },
    }, async (req) => {
      const { platform } = req.params;
      if (!getPlatformAdapter(platform)) throw new GatewayError('GW_ERR_UNKNOWN_ADAPTER', `unknown platform "${platform}"`);
      const p = req.principal;
      if (p.role === 'platform' && p.platform !== platform) throw new GatewayError('GW_ERR_FORBIDDEN', `this key pushes for ${p.platform ?? 'no platform'}, not ${platform}`);
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from(JSON.stringify(req.body ?? null));
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        await pipeline.rejectRaw(`http:${platform}`, platform, { code: 'MALFORMED', message: `not valid JSON: ${(e as Error).message}` }, raw);
        throw new GatewayError('GW_ERR_DECODE', `body is not valid JSON: ${(e as Error).message}`, [{ field: '/', message: 'not valid JSON' }]);
      }
      const res = await pipeline.ingestPlatform(platform, body, raw);
      if (res.error) throw new GatewayError('GW_ERR_DECODE', `${platform} push cannot be decoded: ${res.error.code}: ${res.error.message}`, [{ field: res.error.field ?? '/', message: `${res.error.code}: ${res.error.message}` }]);
      const results = res.results.map((r) => (r.ok ? { externalId: r.externalId, deviceId: r.deviceId, ok: true, readings: r.readings } : { externalId: r.externalId, deviceId: r.deviceId, ok: false, error: r.error }));
      const accepted = res.results.reduce((n, r) => n + (r.ok ? r.readings : 0), 0);
      const rejected = results.filter((r) => !r.ok).length;
      if (results.length > 0 && rejected === results.length) {
        const first = res.results.find((r) => !r.ok);
        const err = first && !first.ok ? first.error : { code: 'UNKNOWN', message: 'rejected' };
        throw new GatewayError(gatewayCodeFor(err.code),
          `every message in the push was rejected (first: ${err.code}: ${err.message})`,
          res.results.flatMap((r) => (r.ok ? [] : [{ field: r.externalId, message: `${r.error.code}: ${r.error.message}` }])));
      }
      return { accepted, rejected, results };
    });
  };
}

import { Type } from 'typebox';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles, assertVendorAccess, vendorScope } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import { queryReadings, latestReadings, listDeadLetters } from '../storage/readings-query.js';
import type { DeviceRegistry } from '../devices/registry.js';

const Nullable = <T extends ReturnType<typeof Type.Number> | ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);
const RawReading = Type.Object({ time: Type.String(), metric: Type.String(), value: Nullable(Type.Number()), state: Nullable(Type.String()), seq: Nullable(Type.Integer()) });
const BucketReading = Type.Object({
  time: Type.String({ description: 'Bucket start (UTC).' }),
  metric: Type.String(),
  avg: Nullable(Type.Number()), min: Nullable(Type.Number()), max: Nullable(Type.Number()),
  count: Type.Integer(), last: Nullable(Type.Number()), lastState: Nullable(Type.String()),
});
const ReadingsQuery = Type.Object({
  metric: Type.Optional(Type.String()),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Default: 24 hours before `to`.' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Default: now.' })),
  bucket: Type.Optional(Type.Enum(['1m', '1h', '1d'], { description: 'Aggregate per bucket (continuous aggregates in TimescaleDB mode).' })),
  order: Type.Enum(['asc', 'desc'], { default: 'asc' }),
  limit: Type.Integer({ minimum: 1, maximum: 100000, default: 10000 }),
});
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

/** Readings history and latest values (`/api/v1/devices/{id}/…`). */
export function readingRoutes(registry: DeviceRegistry): AreaPlugin {
  return async (app, { services }) => {
    const { db, clock } = services;
    const device = (id: string, principal: Parameters<typeof assertVendorAccess>[0]) => {
      const d = registry.get(id);
      if (!d) throw new GatewayError('GW_ERR_NOT_FOUND', `device "${id}" is not registered`);
      assertVendorAccess(principal, d.vendor);
      return d;
    };

    app.get('/:id/readings', {
      config: roles('ops', 'vendor', 'district', 'viewer'),
      schema: { tags: ['readings'], summary: 'Readings of a device in a time range, raw or per bucket', params: Type.Object({ id: Type.String() }), querystring: ReadingsQuery, response: { 200: Type.Object({ deviceId: Type.String(), bucket: Nullable(Type.String()), readings: Type.Array(Type.Union([RawReading, BucketReading])) }), ...errors } },
    }, async (req) => {
      device(req.params.id, req.principal);
      const to = req.query.to ?? new Date(clock.now()).toISOString();
      const from = req.query.from ?? new Date(Date.parse(to) - 24 * 3600 * 1000).toISOString();
      if (Date.parse(from) >= Date.parse(to)) throw new GatewayError('GW_ERR_VALIDATION', '`from` must be before `to`', [{ field: '/from', message: 'must be before to' }]);
      const base = { deviceId: req.params.id, from, to, limit: req.query.limit, order: req.query.order, ...(req.query.metric !== undefined ? { metric: req.query.metric } : {}) };
      const readings = req.query.bucket ? await queryReadings(db, { ...base, bucket: req.query.bucket }) : await queryReadings(db, base);
      return { deviceId: req.params.id, bucket: req.query.bucket ?? null, readings };
    });

    app.get('/:id/latest', {
      config: roles('ops', 'vendor', 'district', 'viewer'),
      schema: { tags: ['readings'], summary: 'Newest value of every metric of a device', params: Type.Object({ id: Type.String() }), response: { 200: Type.Object({ deviceId: Type.String(), status: Type.String(), lastSeen: Nullable(Type.String()), readings: Type.Array(RawReading) }), ...errors } },
    }, async (req) => {
      const d = device(req.params.id, req.principal);
      return { deviceId: d.id, status: d.status, lastSeen: d.lastSeen !== null ? new Date(d.lastSeen).toISOString() : null, readings: await latestReadings(db, d.id) };
    });
  };
}

/** `GET /api/v1/dead-letters`: what was rejected, why, and the raw payload (base64). */
export const deadLetterRoutes: AreaPlugin = async (app, { services }) => {
  app.get('/', {
    config: roles('ops', 'vendor'),
    schema: {
      tags: ['readings'],
      summary: 'Rejected payloads with the reason, oldest first (cursor on id)',
      querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0 })), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }), deviceId: Type.Optional(Type.String()), source: Type.Optional(Type.String()) }),
      response: {
        200: Type.Object({
          items: Type.Array(Type.Object({ id: Type.Integer(), receivedAt: Type.String(), source: Type.String(), deviceId: Nullable(Type.String()), adapter: Nullable(Type.String()), reasonCode: Type.String(), reason: Type.String(), payloadBase64: Type.String(), payloadText: Nullable(Type.String()) })),
          nextCursor: Nullable(Type.Integer()),
        }),
        ...errors,
      },
    },
  }, async (req) => {
    // A vendor sees the dead letters of its own devices only.
    const scope = vendorScope(req.principal);
    const page = await listDeadLetters(services.db, { limit: req.query.limit, ...(req.query.after !== undefined ? { after: req.query.after } : {}), ...(req.query.deviceId !== undefined ? { deviceId: req.query.deviceId } : {}), ...(req.query.source !== undefined ? { source: req.query.source } : {}), ...(scope !== undefined ? { vendor: scope } : {}) });
    return {
      nextCursor: page.nextCursor,
      items: page.items.map(({ payload, ...d }) => ({ ...d, payloadBase64: payload.toString('base64'), payloadText: isText(payload) ? payload.toString('utf8') : null })),
    };
  });
};

function isText(b: Buffer): boolean {
  if (b.length > 64 * 1024) return false;
  for (const byte of b) if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
  return !b.toString('utf8').includes('\uFFFD');
}

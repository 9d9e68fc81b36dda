import { Type } from 'typebox';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import { getSensorAdapter, platformAdapters, sensorAdapters } from '../../adapters/index.js';
import { decodeAndValidate } from '../../adapters/validate.js';
import type { SensorAdapter } from '../../adapters/types.js';
import { gatewayCodeFor } from '../ingest/accept.js';

const Metric = Type.Object({
  name: Type.String(),
  type: Type.Enum(['numeric', 'state']),
  unit: Type.Optional(Type.String()),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  states: Type.Optional(Type.Array(Type.String())),
  description: Type.String(),
});
const AdapterInfo = Type.Object({
  id: Type.String(),
  vendor: Type.String(),
  model: Type.String(),
  kind: Type.String(),
  description: Type.String(),
  encoding: Type.String(),
  topics: Type.Array(Type.String()),
  openMetrics: Type.Boolean(),
  exposes: Type.Array(Metric),
});
const DecodeBody = Type.Object(
  {
    payload: Type.Optional(Type.Unknown({ description: 'A JSON payload, sent as its JSON text.' })),
    payloadHex: Type.Optional(Type.String({ pattern: '^([0-9A-Fa-f]{2}|\\s)*$', description: 'A binary frame as hex (spaces allowed).' })),
    payloadBase64: Type.Optional(Type.String({ description: 'A binary payload as base64.' })),
    deviceId: Type.Optional(Type.String({ default: 'console' })),
  },
  { additionalProperties: false },
);
const DecodedReading = Type.Object({
  metric: Type.String(),
  value: Type.Optional(Type.Number()),
  state: Type.Optional(Type.String()),
  unit: Type.Optional(Type.String()),
  time: Type.String({ description: "ISO time the reading would be stored at: the device's own, else the receive time." }),
  timeSource: Type.Enum(['device', 'receive']),
  seq: Type.Optional(Type.Integer()),
});

function info(a: SensorAdapter) {
  return {
    id: a.id, vendor: a.vendor, model: a.model, kind: a.kind, description: a.description, encoding: a.encoding,
    topics: [...a.topics], openMetrics: a.openMetrics === true,
    exposes: a.exposes.map((m) => (m.type === 'numeric'
      ? { name: m.name, type: m.type, unit: m.unit, min: m.min, max: m.max, description: m.description }
      : { name: m.name, type: m.type, states: [...m.states], description: m.description })),
  };
}

/** `/api/v1/adapters`: the catalogue and the decode console (nothing is stored). */
export const adapterRoutes: AreaPlugin = async (app, { services }) => {
  app.get('/', {
    config: roles('ops', 'vendor', 'district', 'viewer'),
    schema: { tags: ['adapters'], summary: 'Every sensor adapter and what it exposes, and the platform adapters', response: { 200: Type.Object({ sensors: Type.Array(AdapterInfo), platforms: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), description: Type.String() })) }) } },
  }, async () => ({ sensors: sensorAdapters.map(info), platforms: platformAdapters.map((p) => ({ id: p.id, name: p.name, description: p.description })) }));

  app.get('/:id', {
    config: roles('ops', 'vendor', 'district', 'viewer'),
    schema: { tags: ['adapters'], summary: 'One adapter', params: Type.Object({ id: Type.String() }), response: { 200: AdapterInfo, 404: ErrorBody } },
  }, async (req) => info(adapterOr404(req.params.id)));

  app.post('/:id/decode', {
    config: roles('ops', 'vendor'),
    schema: {
      tags: ['adapters'],
      summary: 'Decode console: the readings (or the error) a payload would produce; nothing is stored',
      params: Type.Object({ id: Type.String() }),
      body: DecodeBody,
      response: { 200: Type.Object({ adapter: Type.String(), readings: Type.Array(DecodedReading) }), 400: ErrorBody, 404: ErrorBody, 422: ErrorBody },
    },
  }, async (req) => {
    const adapter = adapterOr404(req.params.id);
    const bytes = payloadBytes(req.body);
    const now = services.clock.now();
    const res = decodeAndValidate(adapter, bytes, { deviceId: req.body.deviceId ?? 'console', topic: `cityops/v1/devices/${req.body.deviceId ?? 'console'}/up`, receivedAt: now });
    if (!res.ok) {
      throw new GatewayError(gatewayCodeFor(res.error.code), `${adapter.id} cannot decode this payload: ${res.error.code}: ${res.error.message}`, [{ field: res.error.field ?? '/', message: `${res.error.code}: ${res.error.message}` }]);
    }
    const units = new Map(adapter.exposes.map((m) => [m.name, m.type === 'numeric' ? m.unit : undefined]));
    return {
      adapter: adapter.id,
      readings: res.readings.map((r) => ({
        metric: r.metric,
        ...(r.value !== undefined ? { value: r.value } : {}),
        ...(r.state !== undefined ? { state: r.state } : {}),
        ...(units.get(r.metric) ? { unit: units.get(r.metric) } : {}),
        time: new Date(r.time ?? now).toISOString(),
        timeSource: r.time !== undefined ? ('device' as const) : ('receive' as const),
        ...(r.seq !== undefined ? { seq: r.seq } : {}),
      })),
    };
  });
};

function adapterOr404(id: string): SensorAdapter {
  const a = getSensorAdapter(id);
  if (!a) throw new GatewayError('GW_ERR_UNKNOWN_ADAPTER', `unknown adapter "${id}" (GET /api/v1/adapters lists them)`);
  return a;
}

function payloadBytes(body: { payload?: unknown; payloadHex?: string; payloadBase64?: string }): Uint8Array {
  const given = [body.payload !== undefined, body.payloadHex !== undefined, body.payloadBase64 !== undefined].filter(Boolean).length;
  if (given !== 1) throw new GatewayError('GW_ERR_VALIDATION', 'give exactly one of payload, payloadHex or payloadBase64', [{ field: '/payload', message: 'exactly one payload form is required' }]);
  if (body.payloadHex !== undefined) {
    const hex = body.payloadHex.replace(/\s+/g, '');
    if (hex.length % 2 !== 0) throw new GatewayError('GW_ERR_VALIDATION', 'payloadHex has an odd number of hex digits', [{ field: '/payloadHex', message: 'odd number of hex digits' }]);
    return Buffer.from(hex, 'hex');
  }
  if (body.payloadBase64 !== undefined) return Buffer.from(body.payloadBase64, 'base64');
  return Buffer.from(typeof body.payload === 'string' ? body.payload : JSON.stringify(body.payload));
}

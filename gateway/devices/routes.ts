import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { AreaPlugin } from '../http/app.js';
import { ErrorBody } from '../http/errors.js';
import { roles, assertVendorAccess, vendorScope } from '../auth/roles.js';
import { GatewayError } from '../core/errors.js';
import type { Audit } from '../audit/audit.js';
import type { DeviceRegistry, WriteHook } from './registry.js';
import * as repo from './repo.js';
import { parseImport } from './import.js';
import { Device, DeviceInput, DevicePatch, DeviceQuery, DeviceWithCredentials, StatusEvent } from './schema.js';

const IdParams = Type.Object({ id: Type.String() });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** Device registry routes (`/api/v1/devices`). Vendors see and change only their own devices. */
export function deviceRoutes(registry: DeviceRegistry): AreaPlugin {
  return async (app, { services }) => {
    const { audit, db } = services;
    const auditHook = (req: FastifyRequest): WriteHook => auditWrite(audit, req);
    const vendorCheck = (req: FastifyRequest) => (vendor: string | null) => assertVendorAccess(req.principal, vendor);

    // The CSV importer takes the file as text; JSON bodies use Fastify's own parser.
    app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    app.post('/', {
      config: roles('ops', 'vendor'),
      schema: { tags: ['devices'], summary: 'Provision a device; the MQTT password is in the answer, once', body: DeviceInput, response: { 201: DeviceWithCredentials, ...errors } },
    }, async (req, reply) => {
      const out = await registry.create(ownVendor(req, req.body), { onWrite: auditHook(req) });
      return reply.code(201).send(out);
    });

    app.get('/', {
      config: roles('ops', 'vendor', 'district', 'viewer'),
      schema: { tags: ['devices'], summary: 'List devices (cursor on id)', querystring: DeviceQuery, response: { 200: Type.Object({ devices: Type.Array(Device), next: Type.Union([Type.String(), Type.Null()]) }), ...errors } },
    }, async (req) => {
      const scope = vendorScope(req.principal);
      const list = await repo.listDevices(db, { ...req.query, ...(scope !== undefined ? { scopeVendor: scope } : {}) });
      const devices = list.map((r) => withLive(registry, r.device));
      return { devices, next: devices.length === req.query.limit ? (devices[devices.length - 1]?.id ?? null) : null };
    });

    app.get('/:id', {
      config: roles('ops', 'vendor', 'district', 'viewer'),
      schema: { tags: ['devices'], summary: 'One device', params: IdParams, response: { 200: Device, ...errors } },
    }, async (req) => {
      const rec = await repo.getDevice(db, req.params.id);
      if (!rec) throw new GatewayError('GW_ERR_NOT_FOUND', `device "${req.params.id}" is not registered`);
      vendorCheck(req)(rec.device.vendor);
      return withLive(registry, rec.device);
    });

    app.patch('/:id', {
      config: roles('ops', 'vendor'),
      schema: { tags: ['devices'], summary: 'Change a device (any subset of the provisioning fields but id)', params: IdParams, body: DevicePatch, response: { 200: Device, ...errors } },
    }, async (req) => {
      const patch = req.principal.role === 'vendor' ? ownVendor(req, req.body) : req.body;
      return registry.update(req.params.id, patch, { onWrite: auditHook(req), vendorCheck: vendorCheck(req) });
    });

    app.delete('/:id', {
      config: roles('ops', 'vendor'),
      schema: { tags: ['devices'], summary: 'Remove a device (its stored readings stay)', params: IdParams, response: { 204: Type.Null(), ...errors } },
    }, async (req, reply) => {
      await registry.remove(req.params.id, { onWrite: auditHook(req), vendorCheck: vendorCheck(req) });
      return reply.code(204).send(null);
    });

    app.post('/:id/credentials', {
      config: roles('ops', 'vendor'),
      schema: { tags: ['devices'], summary: 'Rotate the MQTT password; the old one stops working at once', params: IdParams, response: { 200: DeviceWithCredentials, ...errors } },
    }, async (req) => registry.rotate(req.params.id, { onWrite: auditHook(req), vendorCheck: vendorCheck(req) }));

    app.get('/:id/status-history', {
      config: roles('ops', 'vendor', 'district', 'viewer'),
      schema: { tags: ['devices'], summary: 'Online/offline changes, newest first', params: IdParams, querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }), response: { 200: Type.Object({ events: Type.Array(StatusEvent) }), ...errors } },
    }, async (req) => {
      const rec = await repo.getDevice(db, req.params.id);
      if (!rec) throw new GatewayError('GW_ERR_NOT_FOUND', `device "${req.params.id}" is not registered`);
      vendorCheck(req)(rec.device.vendor);
      return { events: await repo.statusHistory(db, req.params.id, req.query.limit) };
    });

    app.post('/import', {
      config: roles('ops', 'vendor'),
      schema: {
        tags: ['devices'],
        summary: 'Bulk import from CSV (text/csv) or JSON (an array of device bodies)',
        description: 'Every bad row is reported by line and field. A file with errors imports nothing unless skipInvalid=true, which imports the good rows.',
        querystring: Type.Object({ skipInvalid: Type.Boolean({ default: false }) }),
        body: Type.Unknown(),
        response: {
          200: Type.Object({
            imported: Type.Integer(),
            devices: Type.Array(Type.Object({ line: Type.Integer(), device: Device, credentials: Type.Object({ username: Type.String(), password: Type.String() }) })),
            errors: Type.Array(Type.Object({ line: Type.Integer(), field: Type.String(), message: Type.String() })),
          }),
          ...errors,
          422: ErrorBody,
        },
      },
    }, async (req) => {
      const isCsv = String(req.headers['content-type'] ?? '').startsWith('text/csv');
      const text = isCsv ? String(req.body) : JSON.stringify(req.body);
      const parsed = parseImport(text, isCsv ? 'csv' : 'json');
      const vendor = req.principal.role === 'vendor' ? ownVendor(req, {} as { vendor?: string }).vendor : undefined;
      const out = await registry.importRows(parsed.rows, parsed.errors, { skipInvalid: req.query.skipInvalid, ...(vendor !== undefined ? { vendor } : {}), onWrite: auditHook(req) });
      if (out.errors.length > 0 && !req.query.skipInvalid) {
        const first = out.errors[0];
        throw new GatewayError(
          'GW_ERR_IMPORT_ROWS',
          `${out.errors.length} bad row(s), nothing imported (first: line ${first?.line}, ${first?.field}: ${first?.message}); fix them or pass skipInvalid=true`,
          out.errors.map((e) => ({ field: `line ${e.line}: ${e.field}`, message: e.message })),
        );
      }
      return { imported: out.imported.length, devices: out.imported, errors: out.errors };
    });
  };
}

/** A vendor provisions only for itself; other roles may name the vendor. */
function ownVendor<T extends { vendor?: string }>(req: FastifyRequest, body: T): T {
  const p = req.principal;
  if (p.role !== 'vendor') return body;
  if (!p.vendor) throw new GatewayError('GW_ERR_FORBIDDEN', 'vendor credentials without a vendor');
  return { ...body, vendor: p.vendor };
}

/** The stored row, with the live status and last-seen time the registry holds in memory. */
function withLive(registry: DeviceRegistry, d: repo.DeviceRecord['device']): Device {
  const live = registry.get(d.id);
  const out = registry.withHeartbeat(d);
  if (!live) return out;
  return { ...out, status: live.status, lastSeen: live.lastSeen !== null ? new Date(live.lastSeen).toISOString() : out.lastSeen };
}

function auditWrite(audit: Audit, req: FastifyRequest): WriteHook {
  return async (tx, change) => {
    await audit.record(tx, req, { action: change.action, target: { type: 'device', id: change.id }, before: change.before ?? undefined, after: change.after ?? undefined });
  };
}

/**
 * Helpers for tests that talk to the district simulator as the gateway would: signed
 * deliveries in the wire format of gateway/district/types.ts.
 */
import type { Test } from 'tap';
import { signBody, signatureHeader, timestampHeader } from '../../gateway/outbox/signature.js';
import type { CaseView } from '../../gateway/cases/types.js';
import { startDistrictSimulator } from './index.js';
import type { DistrictSimulator, DistrictSimulatorOptions } from './types.js';
import { signBytes } from './verify.js';

export interface DeliveryRequest {
  path: string;
  /** A JSON body (object), CAP XML text, or JPEG bytes. */
  body: Record<string, unknown> | string | Buffer;
  contentType?: string;
  key?: string;
  kind?: string;
  /** Signing time (default now); the clock the simulator checks against must agree. */
  timestampMs?: number;
  /** Sign with this secret; null sends no signature. */
  secret: string | null;
  headers?: Record<string, string>;
  /** Changes the body after signing (a tampered delivery). */
  tamper?: (text: string) => string;
  signal?: AbortSignal;
}

export interface DeliveryAnswer {
  status: number;
  json: Record<string, unknown>;
}

/** POSTs one delivery to `baseUrl` (a simulator endpoint). */
export async function deliver(baseUrl: string, r: DeliveryRequest): Promise<DeliveryAnswer> {
  const binary = Buffer.isBuffer(r.body);
  const text = binary ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  const timestamp = String(Math.floor((r.timestampMs ?? Date.now()) / 1000));
  const headers: Record<string, string> = {
    'content-type': r.contentType ?? (binary ? 'image/jpeg' : 'application/json'),
    [timestampHeader]: timestamp,
    ...(r.key !== undefined ? { 'idempotency-key': r.key } : {}),
    ...(r.kind !== undefined ? { 'x-cityops-kind': r.kind } : {}),
    ...r.headers,
  };
  if (r.secret !== null) headers[signatureHeader] = binary ? signBytes(r.secret, timestamp, r.body as Buffer) : signBody(r.secret, timestamp, text);
  const sent = binary ? new Uint8Array(r.body as Buffer) : r.tamper ? r.tamper(text) : text;
  const res = await fetch(`${baseUrl}${r.path}`, { method: 'POST', headers, body: sent, ...(r.signal ? { signal: r.signal } : {}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A case message as the forwarder builds it (gateway/district/messages.ts CaseMessage). */
export function caseMessage(caseId: string, key = `case:${caseId}:opened`): Record<string, unknown> {
  return { kind: 'case', key, sentAt: '2026-01-01T08:00:00.000+08:00', case: caseView(caseId), warning: null };
}

export function caseView(id: string): CaseView {
  const at = '2026-01-01T08:00:00.000+08:00';
  return {
    id, source: 'manual', sourceName: 'duty-officer', externalId: null, warningId: null, districtCaseNo: null, category: 'rainstorm',
    kind: 'waterlogging', grade: 'orange', title: `积水 ${id}`, description: '', blockCode: '31011500101001001', location: {},
    status: 'new', unit: null, exercise: true, incidentAt: at, createdAt: at, updatedAt: at,
    times: { reported: null, dispatched: null, signed: null, arrived: null, handled: null, verified: null, closed: null }, createdBy: 'duty-officer',
  };
}

/** A signed case delivery for `caseId` (key `case:{id}:opened`). */
export function deliverCase(baseUrl: string, secret: string, caseId: string, extra: Partial<DeliveryRequest> = {}): Promise<DeliveryAnswer> {
  return deliver(baseUrl, { path: '/cases', body: caseMessage(caseId), key: `case:${caseId}:opened`, kind: 'case', secret, ...extra });
}

/** The smallest JPEG-looking bytes the simulator accepts (SOI, an APP0 marker, EOI). */
export function tinyJpeg(fill = 0): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.alloc(64, fill), Buffer.from([0xff, 0xd9])]);
}

/** A simulator closed with the test. */
export async function testSimulator(t: Test, opts: Partial<DistrictSimulatorOptions> = {}): Promise<DistrictSimulator> {
  const sim = await startDistrictSimulator({ secret: testSecret, ...opts });
  t.teardown(() => sim.close());
  return sim;
}

export const testSecret = 'district-test-secret';

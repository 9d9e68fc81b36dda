import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { Type, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { schemaErrors } from '../../gateway/core/schema.js';
import { CaseMessage, CaseReportMessage, SharedMessage, WarningMessage } from '../../gateway/district/messages.js';
import type { DeliveryInput } from './store.js';
import type { CapSummary, DeliveryKind } from './types.js';

/**
 * The district's side of the wire contract (gateway/district/types.ts, docs/district-link.md):
 * which paths exist, what each must carry, and what is stored from it.
 */

export interface Route {
  kind: DeliveryKind;
  /** The case id or dataset in the path. */
  param: string | null;
  binary: boolean;
}

/** A refused delivery: the HTTP status, a message naming the problem, and whether it counts as a signature failure. */
export class Refusal {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}

const casePath = /^\/cases\/([^/]+)\/(reports|pictures)$/;
const sharedPath = /^\/shared\/([^/]+)$/;

/** The delivery route of a POST path, or null (404). */
export function matchRoute(path: string): Route | null {
  if (path === '/cases') return { kind: 'case', param: null, binary: false };
  if (path === '/warnings') return { kind: 'warning', param: null, binary: false };
  const c = casePath.exec(path);
  if (c) return c[2] === 'reports' ? { kind: 'case_report', param: decodeURIComponent(c[1] ?? ''), binary: false } : { kind: 'picture', param: decodeURIComponent(c[1] ?? ''), binary: true };
  const s = sharedPath.exec(path);
  if (s) return { kind: 'shared', param: decodeURIComponent(s[1] ?? ''), binary: false };
  return null;
}

const loose = { additionalProperties: true };
const Id = Type.String({ minLength: 1 });
const bodySchemas = {
  case: Type.Object({ kind: Type.Literal('case'), key: Type.String(), sentAt: Type.String(), case: Type.Object({ id: Id }, loose) }, loose),
  case_report: Type.Object({ kind: Type.Literal('case_report'), key: Type.String(), caseId: Id, version: Type.Integer({ minimum: 1 }), report: Type.Object({}, loose) }, loose),
  warning: Type.Object({
    kind: Type.Literal('warning'), key: Type.String(), event: Type.Union([Type.Literal('raised'), Type.Literal('updated'), Type.Literal('cleared')]),
    warning: Type.Object({ id: Id }, loose),
  }, loose),
  shared: Type.Object({ kind: Type.Literal('shared'), key: Type.String(), dataset: Type.Union([Type.Literal('devices'), Type.Literal('warnings'), Type.Literal('duty')]), at: Type.String(), data: Type.Unknown() }, loose),
} satisfies Record<Exclude<DeliveryKind, 'picture'>, TSchema>;
const checkers = {
  case: Compile(bodySchemas.case),
  case_report: Compile(bodySchemas.case_report),
  warning: Compile(bodySchemas.warning),
  shared: Compile(bodySchemas.shared),
};

/** Strict mode: the full message schemas the gateway documents (docs/district-link.md). */
const contractSchemas = { case: CaseMessage, case_report: CaseReportMessage, warning: WarningMessage, shared: SharedMessage } satisfies Record<Exclude<DeliveryKind, 'picture'>, TSchema>;
const contractCheckers = {
  case: Compile(contractSchemas.case),
  case_report: Compile(contractSchemas.case_report),
  warning: Compile(contractSchemas.warning),
  shared: Compile(contractSchemas.shared),
};

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function mediaType(headers: IncomingHttpHeaders): string {
  return (header(headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Checks that come before the signature: media type and Idempotency-Key. */
export function checkHeaders(route: Route, headers: IncomingHttpHeaders): Refusal | { key: string; format: 'json' | 'cap' | 'jpeg' } {
  const type = mediaType(headers);
  let format: 'json' | 'cap' | 'jpeg';
  if (route.kind === 'picture') format = 'jpeg';
  else if (route.kind === 'warning' && type === 'application/cap+xml') format = 'cap';
  else format = 'json';
  const wanted = { json: 'application/json', cap: 'application/cap+xml', jpeg: 'image/jpeg' }[format];
  if (type !== wanted) {
    const allowed = route.kind === 'warning' ? 'application/json or application/cap+xml' : wanted;
    return new Refusal(415, 'unsupported_media_type', `Content-Type ${type || '(none)'} is not accepted here: send ${allowed}`);
  }
  const key = header(headers, 'idempotency-key');
  if (key === undefined || key.trim() === '') return new Refusal(400, 'missing_idempotency_key', 'Idempotency-Key header is required');
  const kind = header(headers, 'x-cityops-kind');
  if (kind !== undefined && kind !== route.kind) return new Refusal(400, 'kind_mismatch', `X-CityOps-Kind ${kind} does not match the path (${route.kind})`);
  return { key, format };
}

/** Parses and checks a signed body; what is stored from it, or why it is refused. */
export function parseDelivery(route: Route, path: string, key: string, format: 'json' | 'cap' | 'jpeg', raw: Buffer, headers: IncomingHttpHeaders, strict: boolean): Refusal | Omit<DeliveryInput, 'endpoint'> {
  const base = { key, kind: route.kind, format, path, caseId: null, warningId: null, cap: null, picture: null };
  if (format === 'jpeg') return parsePicture(route, raw, headers, base);
  if (format === 'cap') {
    const cap = parseCap(raw.toString('utf8'));
    return cap instanceof Refusal ? cap : { ...base, warningId: cap.identifier, body: raw.toString('utf8'), cap };
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (e) {
    return new Refusal(400, 'invalid_json', `body is not JSON: ${(e as Error).message}`);
  }
  const kind = route.kind as Exclude<DeliveryKind, 'picture'>;
  if (!checkers[kind].Check(body)) {
    const first = schemaErrors(bodySchemas[kind], body)[0];
    return new Refusal(400, 'invalid_body', `${kind} body is invalid${first ? ` at ${first.field}: ${first.message}` : ''}`);
  }
  if (strict && !contractCheckers[kind].Check(body)) {
    const first = schemaErrors(contractSchemas[kind], body)[0];
    return new Refusal(400, 'off_contract', `${kind} body does not match the documented message schema${first ? ` at ${first.field}: ${first.message}` : ''}`);
  }
  const b = body as { caseId?: string; case?: { id: string }; warning?: { id: string }; dataset?: string; key: string };
  if (b.key !== key) return new Refusal(400, 'key_mismatch', `body key ${b.key} differs from the Idempotency-Key ${key}`);
  if (kind === 'case_report' && b.caseId !== route.param) return new Refusal(400, 'case_mismatch', `report of case ${b.caseId ?? ''} posted to case ${route.param ?? ''}`);
  if (kind === 'shared' && b.dataset !== route.param) return new Refusal(400, 'dataset_mismatch', `dataset ${b.dataset ?? ''} posted to /shared/${route.param ?? ''}`);
  const caseId = kind === 'case' ? (b.case?.id ?? null) : kind === 'case_report' ? route.param : null;
  return { ...base, caseId, warningId: kind === 'warning' ? (b.warning?.id ?? null) : null, body };
}

const jpegMagic = Buffer.from([0xff, 0xd8, 0xff]);

function parsePicture(route: Route, raw: Buffer, headers: IncomingHttpHeaders, base: Omit<DeliveryInput, 'endpoint' | 'body'>): Refusal | Omit<DeliveryInput, 'endpoint'> {
  const cameraId = header(headers, 'x-cityops-camera-id');
  const capturedAt = header(headers, 'x-cityops-captured-at');
  if (!cameraId) return new Refusal(400, 'missing_camera_id', 'X-CityOps-Camera-Id header is required for a picture');
  if (!capturedAt || Number.isNaN(Date.parse(capturedAt))) return new Refusal(400, 'invalid_captured_at', 'X-CityOps-Captured-At must be an ISO 8601 time');
  if (raw.length < 4 || !raw.subarray(0, 3).equals(jpegMagic)) return new Refusal(400, 'not_jpeg', 'the body is not a JPEG (no FF D8 FF start)');
  const sha256 = createHash('sha256').update(raw).digest('hex');
  return { ...base, caseId: route.param, body: raw, picture: { cameraId, capturedAt, bytes: raw.length, sha256 } };
}

const capNamespace = 'urn:oasis:names:tc:emergency:cap:1.2';
const capRequired = ['identifier', 'sender', 'sent', 'status', 'msgType', 'scope'] as const;
const xml = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false });

/** The CAP 1.2 alert's header elements (the gateway's own CAP tests check the full structure). */
export function parseCap(text: string): Refusal | CapSummary {
  let doc: unknown;
  try {
    doc = xml.parse(text, true);
  } catch (e) {
    return new Refusal(400, 'invalid_cap', `CAP body is not well-formed XML: ${(e as Error).message}`);
  }
  const alert = (doc as { alert?: unknown }).alert;
  if (typeof alert !== 'object' || alert === null) return new Refusal(400, 'invalid_cap', 'CAP body has no <alert> root');
  const a = alert as Record<string, unknown>;
  // A prefixed namespace (xmlns:cap) is removed with its prefix, so fall back to the text.
  const ns = a['@_xmlns'];
  if (ns !== undefined ? ns !== capNamespace : !text.includes(capNamespace)) return new Refusal(400, 'invalid_cap', `CAP alert must be in namespace ${capNamespace}`);
  for (const name of capRequired) if (typeof a[name] !== 'string' || a[name] === '') return new Refusal(400, 'invalid_cap', `CAP alert lacks <${name}>`);
  const s = (name: string) => a[name] as string;
  return { identifier: s('identifier'), msgType: s('msgType'), status: s('status'), references: typeof a.references === 'string' ? a.references : null };
}

/**
 * Stable error codes (STYLE.md §8). Every code has an HTTP status and a sentence a person can
 * act on; docs/errors.md lists them and test/errors-doc.test.ts keeps the two in step.
 */
export const errorCodes = {
  GW_ERR_VALIDATION: { status: 400, summary: 'The request body, query or parameters do not match the schema; the message names the field.' },
  GW_ERR_BAD_CONFIG: { status: 500, summary: 'The configuration file or an environment override is invalid; the message names the key.' },
  GW_ERR_UNAUTHENTICATED: { status: 401, summary: 'No credentials, or a bearer token / API key that is unknown, revoked or expired.' },
  GW_ERR_FORBIDDEN: { status: 403, summary: "The caller's role may not do this, or the resource belongs to another vendor." },
  GW_ERR_NOT_FOUND: { status: 404, summary: 'The resource (device, adapter, user, key, route) does not exist.' },
  GW_ERR_CONFLICT: { status: 409, summary: 'The resource already exists (for example a duplicate device id).' },
  GW_ERR_PAYLOAD_TOO_LARGE: { status: 413, summary: 'The body or MQTT packet is larger than the configured maximum.' },
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The Content-Type of the body is not one this route accepts (send application/json unless the route says otherwise).' },
  GW_ERR_UNKNOWN_DEVICE: { status: 404, summary: 'A payload names a device that is not registered.' },
  GW_ERR_UNKNOWN_ADAPTER: { status: 404, summary: 'The adapter or platform id is not in the adapter registry.' },
  GW_ERR_DECODE: { status: 422, summary: 'The adapter could not decode the payload (malformed JSON, wrong type, bad checksum, short frame); the message says where.' },
  GW_ERR_OUT_OF_RANGE: { status: 422, summary: 'A decoded value is outside the range the adapter declares for that metric.' },
  GW_ERR_FUTURE_TIMESTAMP: { status: 422, summary: "A reading's own timestamp is further in the future than the allowed clock skew." },
  GW_ERR_IMPORT_ROWS: { status: 422, summary: 'A bulk import file has bad rows; every bad row is listed by line and field and nothing was imported.' },
  GW_ERR_SPOOL_FULL: { status: 503, summary: 'The ingest spool has reached its quota; new readings are refused (not acknowledged) until it drains.' },
  GW_ERR_LOCKED: { status: 409, summary: 'The embedded database directory is in use by another process (a running gateway).' },
  GW_ERR_CASE_TRANSITION: { status: 409, summary: 'The case cannot make this lifecycle step from its current status (for example closing a case never dispatched); the message names both.' },
  GW_ERR_SIGNATURE: { status: 401, summary: 'A signed request (district feedback, external case source) has no signature, a wrong one, or a timestamp outside the allowed window.' },
  GW_ERR_REPLAY: { status: 409, summary: 'A signed request reused a nonce already seen: it was refused as a replay and nothing changed.' },
  GW_ERR_CAP_INVALID: { status: 422, summary: 'An external CAP 1.2 alert is malformed or misses a required element; the message names the element.' },
  GW_ERR_NOT_READY: { status: 503, summary: 'The database or the broker is not ready yet.' },
  GW_ERR_INTERNAL: { status: 500, summary: 'An unexpected error; the log has the details under the request id.' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface ErrorDetail {
  /** JSON-pointer-like path of the offending field, e.g. `/location/lon` or `line 4: kind`. */
  field?: string;
  message: string;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;
  constructor(code: ErrorCode, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.details = details;
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

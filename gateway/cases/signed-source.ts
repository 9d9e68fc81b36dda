import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config/schema.js';
import { GatewayError } from '../core/errors.js';
import { signatureHeader, timestampHeader, verifySignature } from '../outbox/signature.js';

/**
 * External case sources (12345 hotline, 110 linkage, other platforms) sign each
 * `POST /api/v1/cases` with their own key from `cases.sources`, the way we sign our deliveries:
 * `X-CityOps-Source: {id}`, `X-CityOps-Timestamp: {Unix seconds}`,
 * `X-CityOps-Signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>`.
 */
export const sourceHeader = 'x-cityops-source';

export type CaseSourceConfig = Config['cases']['sources'][number];

/** The default window around now for X-CityOps-Timestamp. */
export const defaultToleranceMs = 5 * 60_000;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (Array.isArray(v)) throw new GatewayError('GW_ERR_SIGNATURE', `send exactly one ${name} header`);
  return v;
}

/** The source that signed the request; throws GW_ERR_SIGNATURE naming what is wrong (and never which secret it expected). */
export function verifySource(sources: readonly CaseSourceConfig[], headers: IncomingHttpHeaders, rawBody: string, nowMs: number, toleranceMs = defaultToleranceMs): CaseSourceConfig {
  const id = header(headers, sourceHeader);
  const source = sources.find((s) => s.id === id);
  if (id === undefined || !source) throw new GatewayError('GW_ERR_SIGNATURE', `case source "${id ?? ''}" is not configured (cases.sources)`);
  const timestamp = header(headers, timestampHeader);
  const signature = header(headers, signatureHeader);
  if (timestamp === undefined || signature === undefined) {
    throw new GatewayError('GW_ERR_SIGNATURE', `source ${id}: the request must carry X-CityOps-Timestamp and X-CityOps-Signature`);
  }
  if (!/^[0-9]{1,12}$/.test(timestamp)) throw new GatewayError('GW_ERR_SIGNATURE', `source ${id}: X-CityOps-Timestamp must be Unix seconds`);
  const skewMs = Math.abs(nowMs - Number(timestamp) * 1000);
  if (skewMs > toleranceMs) {
    throw new GatewayError('GW_ERR_SIGNATURE', `source ${id}: X-CityOps-Timestamp is ${Math.round(skewMs / 1000)} s from now, outside the allowed ${toleranceMs / 1000} s (check the sender's clock)`);
  }
  if (!verifySignature({ secret: source.secret, timestamp, body: rawBody, signature, nowMs, toleranceMs })) {
    throw new GatewayError('GW_ERR_SIGNATURE', `source ${id}: the signature does not match the body (HMAC-SHA256 over "{timestamp}.{body}" with the source's key)`);
  }
  return source;
}

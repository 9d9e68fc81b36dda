import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed deliveries: `X-CityOps-Signature: sha256=<hex HMAC-SHA256 over "{timestamp}.{body}">`
 * with `X-CityOps-Timestamp` in Unix seconds, so a receiver can check both who sent it and
 * that it is fresh (a replayed old request fails the time window).
 */
export const signatureHeader = 'x-cityops-signature';
export const timestampHeader = 'x-cityops-timestamp';
/** Requests that must not be replayed (district feedback) also sign a one-time nonce: "{timestamp}.{nonce}.{body}". */
export const nonceHeader = 'x-cityops-nonce';

export function signBody(secret: string, timestamp: string, body: string, nonce?: string): string {
  const signed = nonce === undefined ? `${timestamp}.${body}` : `${timestamp}.${nonce}.${body}`;
  return `sha256=${createHmac('sha256', secret).update(signed).digest('hex')}`;
}

export interface VerifyInput {
  secret: string;
  /** The X-CityOps-Timestamp header. */
  timestamp: string | undefined;
  /** The raw body, exactly as received. */
  body: string;
  /** The X-CityOps-Signature header. */
  signature: string | undefined;
  nowMs: number;
  /** How far the timestamp may be from now; default 5 minutes. */
  toleranceMs?: number;
  /** The X-CityOps-Nonce header, where the request signs one (the caller checks it was not seen before). */
  nonce?: string;
}

/** True when the signature matches and the timestamp is within the tolerance of now. */
export function verifySignature(v: VerifyInput): boolean {
  if (v.timestamp === undefined || v.signature === undefined || !/^[0-9]{1,12}$/.test(v.timestamp)) return false;
  if (Math.abs(v.nowMs - Number(v.timestamp) * 1000) > (v.toleranceMs ?? 5 * 60_000)) return false;
  const expected = Buffer.from(signBody(v.secret, v.timestamp, v.body, v.nonce));
  const given = Buffer.from(v.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed deliveries: `X-CityOps-Signature: sha256=<hex HMAC-SHA256 over "{timestamp}.{body}">`
 * with `X-CityOps-Timestamp` in Unix seconds, so a receiver can check both who sent it and
 * that it is fresh (a replayed old request fails the time window).
 */
export const signatureHeader = 'x-cityops-signature';
export const timestampHeader = 'x-cityops-timestamp';

export function signBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
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
}

/** True when the signature matches and the timestamp is within the tolerance of now. */
export function verifySignature(v: VerifyInput): boolean {
  if (v.timestamp === undefined || v.signature === undefined || !/^[0-9]{1,12}$/.test(v.timestamp)) return false;
  if (Math.abs(v.nowMs - Number(v.timestamp) * 1000) > (v.toleranceMs ?? 5 * 60_000)) return false;
  const expected = Buffer.from(signBody(v.secret, v.timestamp, v.body));
  const given = Buffer.from(v.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { verifySignature } from '../../gateway/outbox/signature.js';

export interface SignedRequest {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  raw: Buffer;
  /** Text bodies (JSON, CAP) are checked with the gateway's own verifySignature; JPEGs over their bytes. */
  binary: boolean;
  nowMs: number;
  toleranceMs: number;
}

/**
 * X-CityOps-Signature over "{timestamp}.{body}". For text the body is its UTF-8 text, exactly
 * what signBody signs; a JPEG is signed over the same prefix followed by its raw bytes (HMAC
 * over bytes: a binary body has no faithful string form).
 */
export function signatureValid(r: SignedRequest): boolean {
  if (!r.binary) {
    return verifySignature({ secret: r.secret, timestamp: r.timestamp, signature: r.signature, body: r.raw.toString('utf8'), nowMs: r.nowMs, toleranceMs: r.toleranceMs });
  }
  // Reuse its timestamp checks with a body-independent call, then compare over bytes.
  if (r.timestamp === undefined || r.signature === undefined) return false;
  if (!verifySignature({ secret: r.secret, timestamp: r.timestamp, signature: signBytes(r.secret, r.timestamp, Buffer.alloc(0)), body: '', nowMs: r.nowMs, toleranceMs: r.toleranceMs })) return false;
  const expected = Buffer.from(signBytes(r.secret, r.timestamp, r.raw));
  const given = Buffer.from(r.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** `sha256=` HMAC over "{timestamp}." and the raw bytes: the signature of a binary delivery. */
export function signBytes(secret: string, timestamp: string, raw: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest('hex')}`;
}

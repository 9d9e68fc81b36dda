import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';

export { hashPassword, verifyPassword } from '../auth/secrets.js';

/** A device password: random, shown once at provisioning; only its scrypt hash is stored. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url'); // 144 bits, 24 characters, MQTT- and CSV-safe
}

/**
 * Remembers passwords that verified, as a SHA-256 digest per device, so a reconnect storm
 * (every device of a town after a network blip) costs one hash each instead of one scrypt.
 * Cleared for a device when its credentials rotate or it is deleted.
 */
export class VerifiedPasswordCache {
  private readonly digests = new Map<string, Buffer>();
  constructor(private readonly max = 100_000) {}
  has(deviceId: string, password: string): boolean {
    const d = this.digests.get(deviceId);
    return d !== undefined && timingSafeEqual(d, digest(password));
  }
  remember(deviceId: string, password: string): void {
    if (this.digests.size >= this.max) {
      const oldest = this.digests.keys().next().value;
      if (oldest !== undefined) this.digests.delete(oldest);
    }
    this.digests.set(deviceId, digest(password));
  }
  forget(deviceId: string): void {
    this.digests.delete(deviceId);
  }
}

function digest(password: string): Buffer {
  return createHash('sha256').update(password).digest();
}

import { randomBytes, scrypt as scryptCb, timingSafeEqual, createHash } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (password: string | Buffer, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/**
 * Device passwords: random, shown once at provisioning, stored only as an scrypt hash
 * (`scrypt$N$r$p$salt$hash`, base64). N=2^14, r=8, p=1 is the interactive-login setting from
 * the scrypt paper; the parameters are stored so they can be raised later without a migration.
 */
const PARAMS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEYLEN = 32;

export function generatePassword(): string {
  return randomBytes(18).toString('base64url'); // 144 bits, 24 characters, MQTT/CSV-safe
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEYLEN, PARAMS);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string | Buffer, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, 'base64');
  const actual = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: PARAMS.maxmem });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Remembers passwords that verified, as a SHA-256 digest per device, so a reconnect storm
 * (every device of a town after a network blip) costs one hash each instead of one scrypt.
 * Cleared for a device when its credentials rotate or it is deleted.
 */
export class VerifiedPasswordCache {
  private readonly digests = new Map<string, Buffer>();
  constructor(private readonly max = 100_000) {}
  has(deviceId: string, password: string | Buffer): boolean {
    const d = this.digests.get(deviceId);
    return d !== undefined && timingSafeEqual(d, digest(password));
  }
  remember(deviceId: string, password: string | Buffer): void {
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

function digest(password: string | Buffer): Buffer {
  return createHash('sha256').update(password).digest();
}

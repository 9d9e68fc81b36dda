import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Queryable } from '../storage/db.js';
import type { Principal } from './roles.js';
import { apiKeyPrefix, safeEqual, sessionPrefix, sha256Hex } from './secrets.js';
import { keyByHash, sessionPrincipal, touchKey } from './store.js';

export interface AuthenticatorOptions {
  db: Queryable;
  clock: Clock;
  logger: Logger;
  /** The bootstrap admin token (ensureAdminToken); empty means none is accepted. */
  adminToken: string;
  /** `last_used_at` is written at most this often per key, so busy ingest keys do not write on every request. */
  touchIntervalMs?: number;
}

export type Authenticator = (headers: IncomingHttpHeaders) => Promise<Principal | undefined>;

export const bootstrapPrincipal: Principal = Object.freeze({ kind: 'bootstrap', id: 'bootstrap', name: 'bootstrap admin', role: 'admin' });

/**
 * The credential of a request: `Authorization: Bearer <x>` (RFC 6750 §2.1) or `X-API-Key: <x>`.
 * Undefined when there is none; throws when a header is present but malformed.
 */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(auth);
    if (!m?.[1]) throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'the Authorization header must be "Bearer <session token or API key>"');
    return m[1];
  }
  const key = headers['x-api-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.trim() === '') throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'send exactly one X-API-Key header with the key');
  return key.trim();
}

/** Resolves the principal behind a request's credential, or undefined when it has none. Unknown credentials throw. */
export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const touchEvery = opts.touchIntervalMs ?? 60_000;
  const lastTouched = new Map<string, number>();

  async function touch(id: string, now: number): Promise<void> {
    const last = lastTouched.get(id);
    if (last !== undefined && now - last < touchEvery) return;
    lastTouched.set(id, now);
    try {
      await touchKey(opts.db, id, new Date(now));
    } catch (e) {
      // Not worth failing the request over; the next use tries again.
      lastTouched.delete(id);
      opts.logger.warn({ err: (e as Error).message, apiKey: id }, 'could not record API key use');
    }
  }

  return async (headers) => {
    const credential = credentialOf(headers);
    if (credential === undefined) return undefined;
    if (opts.adminToken !== '' && safeEqual(credential, opts.adminToken)) return bootstrapPrincipal;
    const now = opts.clock.now();
    if (credential.startsWith(sessionPrefix)) {
      const p = await sessionPrincipal(opts.db, sha256Hex(credential), new Date(now));
      if (p) return p;
    } else if (credential.startsWith(apiKeyPrefix)) {
      const key = await keyByHash(opts.db, sha256Hex(credential), new Date(now));
      if (key) {
        await touch(key.id, now);
        return {
          kind: 'apikey',
          id: key.id,
          name: key.name,
          role: key.role,
          ...(key.vendor ? { vendor: key.vendor } : {}),
          ...(key.platform ? { platform: key.platform } : {}),
        };
      }
    }
    throw new GatewayError('GW_ERR_UNAUTHENTICATED', 'the token or API key is unknown, revoked or expired');
  };
}

import type { FastifyRequest } from 'fastify';
import type { Clock } from '../core/clock.js';
import type { Queryable } from '../storage/db.js';
import { principalOf } from '../auth/guard.js';
import type { Principal } from '../auth/roles.js';

/**
 * Who changed what, when, from what to what. Route authors call `audit.record(tx, req, ...)`
 * inside the transaction of the write itself, so a write and its audit row commit together.
 */
export interface AuditTarget {
  /** `device`, `user`, `api_key`, `rule`, ... */
  type: string;
  id?: string | null;
}

export interface AuditEntry {
  /** `<area>.<verb>`, e.g. `device.create`, `user.update`, `api_key.revoke`. */
  action: string;
  target: AuditTarget;
  /** The resource before the change (omit on create); secrets are redacted before storing. */
  before?: unknown;
  /** The resource after the change (omit on delete); secrets are redacted before storing. */
  after?: unknown;
}

/** For writes not made by an HTTP request (CLI, schedulers), or on behalf of a principal a public route just established. */
export interface AuditOrigin {
  principal: Principal;
  requestId?: string;
  sourceIp?: string;
}

export interface Audit {
  record(tx: Queryable, from: FastifyRequest | AuditOrigin, entry: AuditEntry): Promise<void>;
}

const actionPattern = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export function createAudit(opts: { clock: Clock }): Audit {
  return {
    async record(tx, from, entry) {
      if (!actionPattern.test(entry.action)) throw new Error(`audit action "${entry.action}" must look like area.verb`);
      const origin = originOf(from);
      const p = origin.principal;
      await tx.query(
        `INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, actor_role, action, target_type, target_id, before, after, request_id, source_ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          new Date(opts.clock.now()), p.kind, p.id, p.name, p.role, entry.action, entry.target.type, entry.target.id ?? null,
          toJson(entry.before), toJson(entry.after), origin.requestId ?? null, origin.sourceIp ?? null,
        ],
      );
    },
  };
}

function originOf(from: FastifyRequest | AuditOrigin): AuditOrigin {
  if (!('raw' in from)) return from;
  const principal = principalOf(from);
  if (!principal) throw new Error('audit.record on a request without a principal: pass an AuditOrigin instead');
  return { principal, requestId: from.id, sourceIp: from.ip };
}

function toJson(v: unknown): string | null {
  if (v === undefined) return null;
  return JSON.stringify(redactSecrets(JSON.parse(JSON.stringify(v)) as unknown));
}

/** Keys whose values never reach the audit log: passwords, hashes, tokens, keys, secrets (flags such as `passwordChanged: true` stay). */
const secretKey = /pass(word)?|secret|token|hash|api_?key|^key$|credential|private/i;

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretKey.test(k) && v !== null && typeof v !== 'boolean' ? '[redacted]' : redactSecrets(v, depth + 1);
  return out;
}

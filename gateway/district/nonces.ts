import type { Queryable } from '../storage/db.js';

/**
 * One-time nonces of district feedback (table district_feedback_nonces, migration 014). A nonce
 * is taken in the transaction that moves the case: of two concurrent requests with the same
 * nonce the second waits on the primary key and then finds it taken (a replay). It is kept
 * until no timestamp it could be replayed with is still accepted: received + 2 × tolerance
 * (a timestamp accepted at receipt is at most one tolerance ahead of it, and a replay of it is
 * accepted at most one tolerance after that).
 */

export const noncePattern = /^[A-Za-z0-9_-]{16,64}$/;

export interface NonceUse {
  nonce: string;
  nowMs: number;
  toleranceMs: number;
  caseId: string | null;
  outcome: 'accepted' | 'refused';
}

/** Records the nonce; false when it was seen before (a replay). */
export async function takeNonce(tx: Queryable, u: NonceUse): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO district_feedback_nonces (nonce, received_at_ms, expires_at_ms, case_id, outcome)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (nonce) DO NOTHING RETURNING nonce`,
    [u.nonce, u.nowMs, u.nowMs + 2 * u.toleranceMs, u.caseId, u.outcome],
  );
  return r.rows.length === 1;
}

/** Forgets nonces no accepted timestamp can bring back; returns how many. */
export async function pruneNonces(q: Queryable, nowMs: number): Promise<number> {
  const r = await q.query('DELETE FROM district_feedback_nonces WHERE expires_at_ms < $1', [nowMs]);
  return r.rowCount ?? 0;
}

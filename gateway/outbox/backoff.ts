/**
 * When to try a failed delivery again: exponential from `baseMs` (doubling per attempt),
 * capped at `maxMs`, with full jitter (a uniform delay in [0, cap]) so that many messages
 * failing together against one receiver do not come back together.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** The delay before attempt `attempts + 1`, after `attempts` (≥ 1) failed ones. */
export function backoffDelay(policy: BackoffPolicy, attempts: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 40);
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.floor(random() * (cap + 1));
}

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP date, in milliseconds from
 * `nowMs`; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^[0-9]+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

import type { EngineNotice } from '../../rules/engine/types.js';

/**
 * A device replaying old data (a gauge back from a week offline) sends late readings by the
 * thousand: one notice per device per `everyMs` reaches the warning log, saying how many were
 * passed over meanwhile, so the log stays readable and the commit stays small.
 */
export class LateNotices {
  private readonly seen = new Map<string, { atMs: number; suppressed: number }>();

  constructor(private readonly everyMs = 60_000) {}

  /** The notice to keep, or null when this device had one within `everyMs`. */
  admit(n: EngineNotice, nowMs: number): EngineNotice | null {
    const key = n.deviceId ?? '';
    const seen = this.seen.get(key);
    if (seen && nowMs - seen.atMs < this.everyMs) {
      seen.suppressed++;
      return null;
    }
    if (this.seen.size >= 100_000) this.seen.clear();
    const more = seen && seen.suppressed > 0 ? ` (and ${seen.suppressed} more late readings from this device since the last notice)` : '';
    this.seen.set(key, { atMs: nowMs, suppressed: 0 });
    return { ...n, message: n.message + more };
  }
}

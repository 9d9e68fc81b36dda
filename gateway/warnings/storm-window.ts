import type { Queryable } from '../storage/db.js';

export const STORM_WINDOW_MS = 60_000;
export const stormFingerprint = (block: string): string => `storm/${block}`;

/**
 * Storm control's memory: the new warnings of each block in the last sliding minute, and the
 * open storm warning of each block with the time its last member joined. Rebuilt from the
 * table on start. Entries are keyed by fingerprint and raise time, so an apply that rolled
 * back and is retried does not count its warnings twice.
 */
export class StormWindow {
  private readonly recent = new Map<string, Map<string, number>>();
  private readonly storms = new Map<string, { id: number; lastMemberMs: number }>();
  private loaded = false;

  /** Reads what the last minute left in the table (once; later calls do nothing). */
  async load(q: Queryable, nowMs: number): Promise<void> {
    if (this.loaded) return;
    const since = nowMs - STORM_WINDOW_MS;
    const raised = await q.query<{ fingerprint: string; block_code: string; raised_at_ms: number; recorded_at_ms: number }>(
      `SELECT fingerprint, block_code, raised_at_ms, recorded_at_ms FROM warnings
        WHERE recorded_at_ms > $1 AND block_code <> '' AND NOT silenced AND fingerprint NOT LIKE 'storm/%' AND fingerprint NOT LIKE 'system/%'`,
      [since],
    );
    for (const r of raised.rows) this.add(r.block_code, `${r.fingerprint}@${r.raised_at_ms}`, r.recorded_at_ms);
    const open = await q.query<{ id: number; subject_id: string; last_member_ms: number | null; raised_at_ms: number }>(
      `SELECT s.id, s.subject_id, s.raised_at_ms, (SELECT max(m.recorded_at_ms) FROM warnings m WHERE m.storm_id = s.id) AS last_member_ms
         FROM warnings s WHERE s.fingerprint LIKE 'storm/%' AND s.state <> 'cleared'`,
    );
    for (const s of open.rows) this.storms.set(s.subject_id, { id: s.id, lastMemberMs: s.last_member_ms ?? s.raised_at_ms });
    this.loaded = true;
  }

  /** Counts a new warning in its block; returns how many the block had in the last minute, this one included. */
  add(block: string, key: string, nowMs: number): number {
    let entries = this.recent.get(block);
    if (!entries) {
      entries = new Map();
      this.recent.set(block, entries);
    }
    for (const [k, at] of entries) if (at <= nowMs - STORM_WINDOW_MS) entries.delete(k);
    if (!entries.has(key)) entries.set(key, nowMs);
    return entries.size;
  }

  openStorm(block: string): number | undefined {
    return this.storms.get(block)?.id;
  }

  joined(block: string, stormId: number, nowMs: number): void {
    this.storms.set(block, { id: stormId, lastMemberMs: nowMs });
  }

  /** Storms whose last member joined a full minute ago or more: due to clear. */
  due(nowMs: number): Array<{ block: string; id: number }> {
    const out: Array<{ block: string; id: number }> = [];
    for (const [block, s] of this.storms) if (s.lastMemberMs + STORM_WINDOW_MS <= nowMs) out.push({ block, id: s.id });
    return out;
  }

  forget(stormId: number): void {
    for (const [block, s] of this.storms) if (s.id === stormId) this.storms.delete(block);
  }

  /** Drops blocks with nothing left in the window, so memory follows the active blocks only. */
  prune(nowMs: number): void {
    for (const [block, entries] of this.recent) {
      for (const [k, at] of entries) if (at <= nowMs - STORM_WINDOW_MS) entries.delete(k);
      if (entries.size === 0) this.recent.delete(block);
    }
  }
}

import type { PersistedState, Transition } from '../../rules/engine/types.js';

export type PendingEntry = [key: string, entry: { state: PersistedState; gen: number }];

/**
 * Rule states exported from the engine and not yet written, oldest first. A re-export keeps the
 * entry's place and the generation it was first exported at, so what a waiter for generation g
 * needs written is every entry with gen ≤ g.
 */
export class PendingStates {
  private readonly map = new Map<string, { state: PersistedState; gen: number }>();

  get size(): number {
    return this.map.size;
  }

  add(states: readonly PersistedState[], gen: number): void {
    for (const s of states) {
      const key = stateKey(s.ruleId, s.subjectKey);
      this.map.set(key, { state: s, gen: this.map.get(key)?.gen ?? gen });
    }
  }

  /** The states of the subjects these transitions are about. */
  takeFor(transitions: readonly Transition[]): PendingEntry[] {
    const out: PendingEntry[] = [];
    for (const t of transitions) {
      const key = stateKey(t.ruleId, t.fingerprint.slice(t.ruleId.length + 1));
      const e = this.map.get(key);
      if (e === undefined) continue;
      this.map.delete(key);
      out.push([key, e]);
    }
    return out;
  }

  takeOldest(n: number): PendingEntry[] {
    const out: PendingEntry[] = [];
    for (const entry of this.map) {
      if (out.length >= n) break;
      out.push(entry);
    }
    for (const [k] of out) this.map.delete(k);
    return out;
  }

  /** After a failed write: back in, unless a newer export of the same subject came meanwhile. */
  putBack(taken: readonly PendingEntry[]): void {
    for (const [k, e] of taken) if (!this.map.has(k)) this.map.set(k, e);
  }

  /** The generation of the oldest state not yet written (Infinity when none). */
  oldestGen(): number {
    let oldest = Infinity;
    for (const e of this.map.values()) if (e.gen < oldest) oldest = e.gen;
    return oldest;
  }
}

const stateKey = (ruleId: string, subjectKey: string): string => `${ruleId}\u0000${subjectKey}`;

import type { PlatformEvent } from './types.js';

/**
 * Which of this process's events may be shown yet. Ids come from a sequence and transactions
 * commit out of order: while id 6 is in an open transaction, id 7 (committed) must wait, or a
 * reader that saw 7 would skip 6. The bound is the lowest id that may still commit here; events
 * below it are visible.
 *
 * An insert whose id is not known yet (the statement is on its way) is counted too: its id
 * will be above every id this process had seen when it was sent, because the sequence only grows.
 */
export class LocalHorizon {
  private readonly inFlight = new Set<number>();
  /** Inserts on their way, each with the highest id seen when it was sent. */
  private readonly drawing = new Map<number, number>();
  private nextToken = 1;
  private maxSeen = 0;
  /** Committed, not yet visible, kept in id order. */
  private waiting: PlatformEvent[] = [];

  /** Call before sending an insert; pass the token to `drawn` or `drawFailed`. */
  beginDraw(): number {
    const token = this.nextToken++;
    this.drawing.set(token, this.maxSeen);
    return token;
  }

  drawn(token: number, id: number): void {
    this.drawing.delete(token);
    this.inFlight.add(id);
    if (id > this.maxSeen) this.maxSeen = id;
  }

  /** The insert failed: whatever id it drew never commits. */
  drawFailed(token: number): void {
    this.drawing.delete(token);
  }

  /** A transaction ended: its ids leave the in-flight set, and the events that committed wait to be shown. */
  finish(ids: readonly number[], committed: readonly PlatformEvent[]): void {
    for (const id of ids) this.inFlight.delete(id);
    if (committed.length === 0) return;
    this.waiting.push(...committed);
    this.waiting.sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** Exclusive: every id below it has committed or rolled back, as far as this process knows. */
  bound(): number {
    let low = Infinity;
    for (const id of this.inFlight) if (id < low) low = id;
    for (const seen of this.drawing.values()) if (seen + 1 < low) low = seen + 1;
    return low;
  }

  /** Committed events that are now below the bound, in id order; they are handed over once. */
  takeVisible(): PlatformEvent[] {
    const bound = this.bound();
    let n = 0;
    while (n < this.waiting.length && Number(this.waiting[n]?.id) < bound) n++;
    return n === 0 ? [] : this.waiting.splice(0, n);
  }

  /** Open transactions' ids and inserts on their way, for close() and tests. */
  get busy(): number {
    return this.inFlight.size + this.drawing.size;
  }
}

/**
 * One min-heap of timers across all states. A state has at most one live entry: `heapDue` is
 * the instant of its entry and `gen` its generation. Moving a timer later does not touch the
 * heap (the early entry, when it fires, re-files the state at its real due time); moving it
 * earlier files a new entry and bumps `gen`, so the old one is skipped when popped. Entries of
 * dropped states are skipped the same way. Equal instants pop in key order, so a run gives the
 * same transitions in the same order whatever the heap's history (export / import included).
 */
export interface Timed {
  /** When the state next needs a look without a reading (Infinity: never). */
  due: number;
  heapDue: number;
  gen: number;
  alive: boolean;
  sortKey(): string;
}

export class TimerHeap<S extends Timed> {
  private readonly at: number[] = [];
  private readonly states: S[] = [];
  private readonly gens: number[] = [];

  get size(): number {
    return this.at.length;
  }

  /** Call after changing `s.due`. */
  schedule(s: S): void {
    if (s.due >= s.heapDue) return; // an earlier entry exists, or none is needed
    s.gen++;
    s.heapDue = s.due;
    this.push(s.due, s, s.gen);
  }

  /** The earliest entry's instant (possibly stale), or Infinity. */
  peek(): number {
    return this.at.length > 0 ? (this.at[0] as number) : Infinity;
  }

  /**
   * Pops the next live state whose due time is ≤ limit, with that instant; undefined when none.
   * A state whose due moved later is re-filed on the way.
   */
  popDue(limit: number): { state: S; at: number } | undefined {
    while (this.at.length > 0 && (this.at[0] as number) <= limit) {
      const at = this.at[0] as number;
      const s = this.states[0] as S;
      const gen = this.gens[0] as number;
      this.removeTop();
      if (!s.alive || gen !== s.gen) continue;
      s.heapDue = Infinity;
      if (s.due > at) {
        this.schedule(s);
        continue;
      }
      return { state: s, at };
    }
    return undefined;
  }

  clear(): void {
    this.at.length = 0;
    this.states.length = 0;
    this.gens.length = 0;
  }

  private less(i: number, j: number): boolean {
    const a = this.at[i] as number;
    const b = this.at[j] as number;
    if (a !== b) return a < b;
    return (this.states[i] as S).sortKey() < (this.states[j] as S).sortKey();
  }

  private swap(i: number, j: number): void {
    const { at, states, gens } = this;
    [at[i], at[j]] = [at[j] as number, at[i] as number];
    [states[i], states[j]] = [states[j] as S, states[i] as S];
    [gens[i], gens[j]] = [gens[j] as number, gens[i] as number];
  }

  private push(due: number, s: S, gen: number): void {
    this.at.push(due);
    this.states.push(s);
    this.gens.push(gen);
    let i = this.at.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private removeTop(): void {
    const last = this.at.length - 1;
    this.swap(0, last);
    this.at.pop();
    this.states.pop();
    this.gens.pop();
    let i = 0;
    const n = this.at.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}

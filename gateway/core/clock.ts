/**
 * Time is an input (STYLE.md §12): every deadline, timeout and schedule takes a Clock,
 * so tests can run on a fake one. Only the composition root uses `systemClock`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
}

export interface ClockTimer {
  unref?(): unknown;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** A manual clock for tests: time moves only when `advance` is called. */
export class FakeClock implements Clock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  setTimeout(fn: () => void, ms: number): ClockTimer {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), fn });
    return { id } as ClockTimer;
  }
  clearTimeout(timer: ClockTimer): void {
    this.timers.delete((timer as { id: number }).id);
  }
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let dueId: number | undefined;
      let dueAt = Infinity;
      for (const [id, t] of this.timers) if (t.at <= target && t.at < dueAt) { dueAt = t.at; dueId = id; }
      if (dueId === undefined) break;
      const timer = this.timers.get(dueId);
      this.timers.delete(dueId);
      this.current = dueAt;
      timer?.fn();
    }
    this.current = target;
  }
}

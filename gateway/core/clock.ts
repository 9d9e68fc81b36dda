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

/**
 * Real time, run faster: `now()` moves `speed` times as fast as the wall clock from `start`, and
 * timers wait 1/speed of their span. For end-to-end tests and demos that play a 40-minute
 * scenario in under a minute through the real network stack, where a FakeClock cannot drive
 * sockets and databases.
 */
export class ScaledClock implements Clock {
  private readonly t0 = performance.now();
  constructor(
    private readonly speed: number,
    private readonly start = Date.now(),
  ) {
    if (!(speed > 0)) throw new Error(`clock speed must be positive (got ${speed})`);
  }
  now(): number {
    return Math.floor(this.start + (performance.now() - this.t0) * this.speed);
  }
  setTimeout(fn: () => void, ms: number): ClockTimer {
    return setTimeout(fn, Math.max(0, ms) / this.speed);
  }
  clearTimeout(timer: ClockTimer): void {
    clearTimeout(timer as NodeJS.Timeout);
  }
}

import type { Clock, ClockTimer } from './clock.js';

/**
 * Runs `tick(now)` every `everyMs` on the clock, one run at a time: the next is armed when the
 * last has finished, so a slow run is never overlapped. A failed run is handed to `onError`
 * and the ticking goes on.
 */
export interface Ticker {
  start(): void;
  /** Stops arming new runs and waits for the one in flight. */
  stop(): Promise<void>;
}

export function clockTicker(clock: Clock, everyMs: number, tick: (nowMs: number) => Promise<unknown>, onError: (e: unknown) => void): Ticker {
  let timer: ClockTimer | undefined;
  let running = false;
  let current: Promise<unknown> = Promise.resolve();
  const loop = () => {
    timer = clock.setTimeout(() => {
      current = tick(clock.now())
        .catch(onError)
        .finally(() => {
          if (running) loop();
        });
    }, everyMs);
    timer.unref?.();
  };
  return {
    start() {
      if (running) return;
      running = true;
      loop();
    },
    async stop() {
      running = false;
      if (timer) clock.clearTimeout(timer);
      await current;
    },
  };
}

import t from 'tap';
import { FakeClock } from './clock.js';
import { clockTicker } from './ticker.js';

void t.test('ticks on the clock one run at a time, goes on after a failure, and stop waits for the run in flight', async (t) => {
  const clock = new FakeClock(0);
  const seen: number[] = [];
  const errors: unknown[] = [];
  let release: () => void = () => undefined;
  const ticker = clockTicker(clock, 1000, async (now) => {
    seen.push(now);
    if (seen.length === 1) throw new Error('first run fails');
    if (seen.length === 2) await new Promise<void>((r) => (release = r));
  }, (e) => errors.push(e));
  ticker.start();
  ticker.start();
  clock.advance(999);
  t.same(seen, [], 'not before everyMs');
  clock.advance(1);
  t.same(seen, [1000]);
  await new Promise((r) => setImmediate(r));
  t.match(errors, [{ message: 'first run fails' }], 'the failure is handed on');
  clock.advance(1000);
  t.same(seen, [1000, 2000], 'the next run after the failed one');
  clock.advance(5000);
  t.same(seen, [1000, 2000], 'no overlap while a run is in flight');
  let stopped = false;
  const stopping = ticker.stop().then(() => (stopped = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(stopped, 'stop waits for the run in flight');
  release();
  await stopping;
  clock.advance(10_000);
  t.same(seen, [1000, 2000], 'nothing after stop');
});

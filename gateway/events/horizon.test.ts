import t from 'tap';
import { LocalHorizon } from './horizon.js';
import type { PlatformEvent } from './types.js';

const ev = (id: number) => ({ id: String(id) }) as PlatformEvent;

t.test('events wait for every lower id in flight', async (t) => {
  const h = new LocalHorizon();
  t.equal(h.bound(), Infinity, 'nothing in flight');
  const a = h.beginDraw();
  h.drawn(a, 6);
  const b = h.beginDraw();
  h.drawn(b, 7);
  h.finish([7], [ev(7)]);
  t.equal(h.bound(), 6);
  t.same(h.takeVisible(), [], '7 waits for 6');
  h.finish([6], [ev(6)]);
  t.same(h.takeVisible().map((e) => e.id), ['6', '7'], 'then both, in order');
  t.same(h.takeVisible(), [], 'handed over once');
  t.equal(h.busy, 0);
});

t.test('an insert on its way holds back ids above those seen when it was sent', async (t) => {
  const h = new LocalHorizon();
  const first = h.beginDraw();
  h.drawn(first, 3);
  h.finish([3], [ev(3)]);
  const pending = h.beginDraw(); // will draw something above 3
  const other = h.beginDraw();
  h.drawn(other, 5);
  h.finish([5], [ev(5)]);
  t.same(h.takeVisible().map((e) => e.id), ['3'], '5 may have overtaken the pending insert');
  t.equal(h.bound(), 4);
  h.drawn(pending, 4);
  t.same(h.takeVisible(), []);
  h.finish([4], []); // rolled back
  t.same(h.takeVisible().map((e) => e.id), ['5']);
  const failed = h.beginDraw();
  t.equal(h.bound(), 6);
  h.drawFailed(failed);
  t.equal(h.bound(), Infinity, 'a failed insert holds nothing back');
});

import t from 'tap';
import { OrderedGate } from './publish-gate.js';

function held(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

void t.test('work starts at once; results come back in call order per key', async (t) => {
  const gate = new OrderedGate<object>();
  const a = {};
  const b = {};
  const first = held();
  const started: string[] = [];
  const done: string[] = [];
  const run = (key: object, name: string, work: () => Promise<void>) =>
    new Promise<void>((resolve) =>
      gate.run(key, () => (started.push(name), work()), (err) => {
        done.push(err ? `${name}:${err.message}` : name);
        resolve();
      }),
    );
  const a1 = run(a, 'a1', () => first.promise);
  const a2 = run(a, 'a2', async () => {});
  const a3 = run(a, 'a3', async () => {
    throw new Error('refused');
  });
  const b1 = run(b, 'b1', async () => {});
  await b1;
  t.same(started, ['a1', 'a2', 'a3', 'b1'], 'all gates ran concurrently');
  t.same(done, ['b1'], 'another connection is not held up; a2 and a3 wait for a1');
  first.resolve();
  await Promise.all([a1, a2, a3]);
  t.same(done, ['b1', 'a1', 'a2', 'a3:refused']);
});

void t.test('a synchronous throw is a refusal, not a crash', async (t) => {
  const gate = new OrderedGate<object>();
  const err = await new Promise<Error | null>((resolve) =>
    gate.run({}, () => {
      throw new Error('sync');
    }, resolve),
  );
  t.equal(err?.message, 'sync');
});

import t from 'tap';
import { jsonDiff } from './diff.js';

t.test('changed leaves as JSON-pointer paths', async (t) => {
  const a = { id: 'r', for: '60s', condition: { thresholds: { blue: 15, red: 50 } }, tags: ['a', 'b'], 'x/y': 1 };
  const b = { id: 'r', for: '90s', condition: { thresholds: { blue: 15, yellow: 25 } }, tags: ['a'], 'x/y': 2, name: 'n' };
  t.same(jsonDiff(a, b), [
    { path: '/condition/thresholds/red', before: 50 },
    { path: '/condition/thresholds/yellow', after: 25 },
    { path: '/for', before: '60s', after: '90s' },
    { path: '/name', after: 'n' },
    { path: '/tags/1', before: 'b' },
    { path: '/x~1y', before: 1, after: 2 },
  ]);
  t.same(jsonDiff(a, structuredClone(a)), [], 'equal values: no change');
  t.same(jsonDiff(1, 'one'), [{ path: '/', before: 1, after: 'one' }], 'a changed root');
  t.same(jsonDiff({ s: { a: 1 } }, { s: [1] }), [{ path: '/s', before: { a: 1 }, after: [1] }], 'an object replaced by an array is one change');
});

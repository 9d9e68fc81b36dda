import t from 'tap';
import { parseExpression } from './expression.js';

const run = (text: string, values: Record<string, number>): number => {
  const p = parseExpression(text);
  if (!p.ok) throw new Error(p.error);
  return p.fn(p.metrics.map((m) => values[m] ?? NaN));
};

t.test('arithmetic with precedence, unary minus, parentheses and functions', async (t) => {
  t.equal(run('a + b * 2', { a: 1, b: 3 }), 7);
  t.equal(run('(a + b) * 2', { a: 1, b: 3 }), 8);
  t.equal(run('-a - -b', { a: 1, b: 3 }), 2);
  t.equal(run('a / 4 - 1.5e1', { a: 8 }), -13);
  t.equal(run('max(tilt_x_deg, abs(tilt_y_deg))', { tilt_x_deg: 1, tilt_y_deg: -4 }), 4);
  t.equal(run('min(a, b, 2)', { a: 5, b: 3 }), 2);
  t.same((parseExpression('b + a * b') as { metrics: string[] }).metrics, ['b', 'a']);
});

t.test('errors name the position', async (t) => {
  const cases: Array<[string, RegExp, number]> = [
    ['a +', /unexpected end/, 3],
    ['a $ b', /unexpected character "\$"/, 2],
    ['foo(a)', /unknown function "foo"/, 0],
    ['abs(a, b)', /abs\(\) takes 1/, 0],
    ['(a + b', /expected "\)"/, 6],
    ['a b', /unexpected input/, 2],
    ['1 + 2', /reads no metric/, 0],
  ];
  for (const [text, re, pos] of cases) {
    const p = parseExpression(text);
    t.equal(p.ok, false, text);
    if (!p.ok) {
      t.match(p.error, re, text);
      t.equal(p.position, pos, `${text} position`);
    }
  }
});

t.test('a non-finite result throws (the engine disables the rule)', async (t) => {
  t.throws(() => run('a / b', { a: 1, b: 0 }), /gave Infinity/);
});

import t from 'tap';
import { parseBlockCode, formatBlockCode, blockAncestor, blockWithin } from './block-code.js';

t.test('full codes with and without dashes', async (t) => {
  t.same(parseBlockCode('310117006-01-003-012'), { ok: true, code: '31011700601003012', level: 'block' });
  t.same(parseBlockCode('31011700601003012'), { ok: true, code: '31011700601003012', level: 'block' });
  t.equal(formatBlockCode('31011700601003012'), '310117006-01-003-012');
});

t.test('prefixes name areas', async (t) => {
  t.same(parseBlockCode('310117006'), { ok: true, code: '310117006', level: 'town' });
  t.same(parseBlockCode('310117006-01'), { ok: true, code: '31011700601', level: 'grid' });
  t.same(parseBlockCode('310117006-01-003'), { ok: true, code: '31011700601003', level: 'community' });
  t.equal(blockAncestor('31011700601003012', 'grid'), '31011700601');
  t.ok(blockWithin('31011700601003012', '310117006-01'));
  t.notOk(blockWithin('31011700602003012', '310117006-01'));
});

t.test('bad codes say what is wrong', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['31011700601A03012', /digits/],
    ['3101170060100301', /16 digits/],
    ['310117006-00-003-012', /grid 00/],
    ['310117006-01-000-012', /community 000/],
    ['310117006-01-003-000', /block 000/],
    ['000000006-01-003-001', /county/],
  ];
  for (const [input, re] of cases) {
    const r = parseBlockCode(input);
    t.equal(r.ok, false, input);
    if (!r.ok) t.match(r.message, re, input);
  }
  const r = parseBlockCode('310117006-01', { requireLevel: 'block' });
  t.equal(r.ok, false);
  if (!r.ok) t.match(r.message, /names a grid; a block code \(17 digits\) is required/);
});

import t from 'tap';
import { Type } from 'typebox';
import { checkSchema, parseJson } from './json.js';

const enc = (s: string) => new TextEncoder().encode(s);

void t.test('parseJson', async (t) => {
  t.same(parseJson(enc('\ufeff{"a":1}')), { ok: true, value: { a: 1 } }, 'BOM tolerated');
  t.match(parseJson(enc('{"a":')), { ok: false, error: { code: 'MALFORMED', message: /not JSON/ } });
  t.match(parseJson(enc('  ')), { ok: false, error: { code: 'MALFORMED', message: /empty/ } });
  t.match(parseJson(Uint8Array.from([0x7b, 0xff, 0x7d])), { ok: false, error: { code: 'MALFORMED', message: /UTF-8/ } });
});

void t.test('checkSchema maps schema errors to decode error codes', async (t) => {
  const S = Type.Object({ ts: Type.Union([Type.Number(), Type.String()]), n: Type.Integer({ maximum: 9 }), o: Type.Optional(Type.Object({ x: Type.Number() }, { additionalProperties: false })) });
  t.same(checkSchema(S, { ts: 1, n: 2 }), { ok: true, value: { ts: 1, n: 2 } });
  t.match(checkSchema(S, { ts: 1 }), { ok: false, error: { code: 'MISSING_FIELD', field: '/n', message: '/n is required (missing: n)' } });
  t.match(checkSchema(S, { ts: 1, n: 'x' }), { ok: false, error: { code: 'WRONG_TYPE', field: '/n' } });
  t.match(checkSchema(S, { ts: true, n: 1 }), { ok: false, error: { code: 'WRONG_TYPE', field: '/ts', message: /type that is not allowed/ } });
  t.match(checkSchema(S, { ts: 1, n: 10 }), { ok: false, error: { code: 'OUT_OF_RANGE', field: '/n' } });
  t.match(checkSchema(S, { ts: 1, n: 1, o: { x: 1, y: 2 } }), { ok: false, error: { code: 'MALFORMED', field: '/o/y', message: /not a known field/ } });
  t.match(checkSchema(S, [1, 2]), { ok: false, error: { code: 'WRONG_TYPE' } });
});

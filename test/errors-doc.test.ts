import t from 'tap';
import { readFileSync } from 'node:fs';
import { errorCodes } from '../gateway/core/errors.js';

/** docs/errors.md lists every code in errorCodes with its HTTP status, and nothing else. */
void t.test('docs/errors.md and errorCodes agree', async (t) => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\|\s*`?(GW_ERR_[A-Z_]+)`?\s*\|\s*(\d{3})\s*\|\s*(.+?)\s*\|\s*$/gm)].map((m) => ({ code: m[1] ?? '', status: Number(m[2]), meaning: m[3] ?? '' }));
  const documented = new Map<string, number>();
  for (const r of rows) {
    t.notOk(documented.has(r.code), `${r.code} is documented once`);
    documented.set(r.code, r.status);
    t.ok(r.code in errorCodes, `${r.code} in docs/errors.md exists in gateway/core/errors.ts`);
    t.ok(r.meaning.length > 10, `${r.code} has a meaning`);
  }
  for (const [code, { status }] of Object.entries(errorCodes)) {
    t.ok(documented.has(code), `${code} is documented in docs/errors.md`);
    if (documented.has(code)) t.equal(documented.get(code), status, `${code} has status ${status} in the docs`);
  }
});

import t from 'tap';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { stopSharedPostgres } from '../../test/helpers/postgres.js';
import { verifySignature } from '../outbox/signature.js';
import { createOutbox } from '../outbox/outbox.js';
import { T0, transition } from '../warnings/test-support.js';
import { caseView, forwarderHarness } from './forwarder-test-support.js';
import { districtSchemaBundle, renderDistrictDoc, signingExample } from './messages-doc.js';
import { createDistrictShare } from './share.js';

t.teardown(stopSharedPostgres);

const docPath = new URL('../../docs/district-link.md', import.meta.url);

void t.test('docs/district-link.md has the current JSON Schemas and signing examples', async (t) => {
  const page = readFileSync(docPath, 'utf8');
  t.equal(renderDistrictDoc(page), page, 'run `node --import tsx scripts/district-link-doc.ts` to regenerate');
});

void t.test('the worked signing examples verify with the gateway\'s own check', async (t) => {
  const o = signingExample.outbound;
  const f = signingExample.feedback;
  const page = readFileSync(docPath, 'utf8');
  const sig = (after: string) => new RegExp(`${after}[\\s\\S]*?X-CityOps-Signature: (sha256=[0-9a-f]{64})`).exec(page)?.[1];
  t.ok(verifySignature({ secret: o.secret, timestamp: o.timestamp, body: o.body, signature: sig('What we send'), nowMs: Number(o.timestamp) * 1000 }));
  t.ok(verifySignature({ secret: f.secret, timestamp: f.timestamp, nonce: f.nonce, body: f.body, signature: sig('Feedback: key'), nowMs: Number(f.timestamp) * 1000 }));
  t.notOk(verifySignature({ secret: f.secret, timestamp: f.timestamp, body: f.body, signature: sig('Feedback: key'), nowMs: Number(f.timestamp) * 1000 }), 'the nonce is part of what is signed');
});

void t.test('every in-page link points at a heading', async (t) => {
  const page = readFileSync(docPath, 'utf8').replace(/```[\s\S]*?```/g, '');
  // GitHub's heading ids: lower case, punctuation dropped, spaces to dashes.
  const ids = new Set([...page.matchAll(/^#+ (.+)$/gm)].map((m) => (m[1] ?? '').toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));
  const links = [...page.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] ?? '');
  t.ok(links.length > 10);
  for (const l of links) t.ok(ids.has(l), `#${l}`);
});

void t.test('the printed schemas are valid JSON Schema 2020-12 and accept what the gateway sends', async (t) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(districtSchemaBundle());
  const errors = (name: string, body: unknown): string | null => {
    const validate = ajv.getSchema(`https://cityops.example/schemas/district-link.json#/$defs/${name}`);
    if (!validate) throw new Error(`no schema ${name}`);
    return validate(body) ? null : JSON.stringify(validate.errors?.slice(0, 2));
  };

  const h = await forwarderHarness(t, { district: { warningFormat: 'json' } });
  await h.apply([transition('wl-1', 0, 4, T0), transition('wl-1', 4, 2, T0 + 1000), transition('wl-1', 2, 0, T0 + 2000)]);
  const [w] = await h.warnings();
  const c = caseView({ id: '7', source: 'warning', warningId: String(w?.id) });
  const report = { what: '积水', where: '某路', when: '2026-06-01T10:00:00+08:00', grade: null, areaAffected: 'unknown', casualties: 'unknown', losses: 'unknown', measuresTaken: '', pictures: [], nextSteps: '' };
  await h.feed.transaction(async (_tx, emit) => {
    await emit({ type: 'case.opened', subject: { type: 'case', id: '7' }, data: { case: c } });
    await emit({ type: 'case.report_confirmed', subject: { type: 'case', id: '7' }, data: { case: c, report, version: 1 } });
  });
  await h.forward();
  const share = createDistrictShare({ db: h.db, outbox: createOutbox({ db: h.db, clock: h.clock, logger: pino({ level: 'silent' }), config: h.config.outbox }), clock: h.clock, logger: pino({ level: 'silent' }), config: h.config });
  await share.shareNow();
  const rows = await h.district();
  const names: Record<string, string> = { case: 'CaseMessage', case_report: 'CaseReportMessage', warning: 'WarningMessage', shared: 'SharedMessage' };
  t.same([...new Set(rows.map((r) => r.payload.kind))].sort(), ['case', 'case_report', 'shared', 'warning']);
  for (const r of rows) t.equal(errors(names[r.payload.kind] ?? '?', r.payload.body), null, `${r.key} matches ${names[r.payload.kind]}`);

  t.equal(errors('FeedbackBody', { caseId: '7', action: 'dispatched', at: '2026-06-01T10:00:00+08:00', unit: { id: 'fire-1', tier: 1 } }), null);
  t.not(errors('FeedbackBody', { caseId: '7', action: 'teleported', at: '2026-06-01T10:00:00+08:00' }), null, 'an unknown action is refused');
  t.not(errors('CaseMessage', { ...(rows[0]?.payload.body as object), key: undefined }), null, 'a body without its key is refused');
});

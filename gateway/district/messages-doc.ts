import type { TSchema } from 'typebox';
import { ErrorBody } from '../http/errors.js';
import { signBody } from '../outbox/signature.js';
import { WarningView } from '../warnings/schema.js';
import { FeedbackAnswer, FeedbackBody } from './feedback.js';
import { CaseViewSchema, WrittenReport } from '../cases/schema.js';
import { CaseMessage, CaseReportMessage, ReceiverAnswer, SharedMessage, TransitionSchema, WarningMessage } from './messages.js';
import { DistrictStatus } from './routes-status.js';

/**
 * The generated parts of docs/district-link.md: the JSON Schemas of every JSON body both ways,
 * printed from the same TypeBox schemas that validate and type them, and the worked signing
 * examples, computed by the signing code. `node --import tsx scripts/district-link-doc.ts`
 * rewrites them; a test fails when the page is stale.
 */

const dialect = 'https://json-schema.org/draft/2020-12/schema';

/** Shared definitions, printed once and referenced as `#/$defs/{name}`. */
const definitions: ReadonlyArray<[string, TSchema]> = [['CaseView', CaseViewSchema], ['WarningView', WarningView], ['Transition', TransitionSchema], ['WrittenReport', WrittenReport]];

const bodies: ReadonlyArray<{ name: string; title: string; schema: TSchema }> = [
  { name: 'CaseMessage', title: 'Case (`POST {base}/cases`)', schema: CaseMessage },
  { name: 'CaseReportMessage', title: 'Written report (`POST {base}/cases/{id}/reports`)', schema: CaseReportMessage },
  { name: 'WarningMessage', title: 'Warning in JSON (`POST {base}/warnings`, district.warningFormat `json`)', schema: WarningMessage },
  { name: 'SharedMessage', title: 'Shared data (`POST {base}/shared/{dataset}`)', schema: SharedMessage },
  { name: 'ReceiverAnswer', title: 'The district\'s answer to any of these', schema: ReceiverAnswer },
  { name: 'FeedbackBody', title: 'Feedback (`POST /api/v1/district/feedback`)', schema: FeedbackBody },
  { name: 'FeedbackAnswer', title: 'Feedback answer (200)', schema: FeedbackAnswer },
  { name: 'ErrorBody', title: 'Error answer (4xx, 5xx)', schema: ErrorBody },
  { name: 'DistrictStatus', title: 'Link status (`GET /api/v1/district/status`)', schema: DistrictStatus },
];

function json(schema: TSchema, self?: TSchema): string {
  const refs = new Map<unknown, string>(definitions.filter(([, s]) => s !== self).map(([name, s]) => [s, `#/$defs/${name}`]));
  return JSON.stringify(schema, (_key, value: unknown) => (refs.has(value) ? { $ref: refs.get(value) } : value), 2);
}

/** One JSON Schema document holding every definition and body under `$defs`. */
export function districtSchemaBundle(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (const [name, s] of definitions) defs[name] = JSON.parse(json(s, s)) as unknown;
  for (const b of bodies) defs[b.name] = JSON.parse(json(b.schema)) as unknown;
  return { $schema: dialect, $id: 'https://cityops.example/schemas/district-link.json', $defs: defs };
}

export function schemaSection(): string {
  const out: string[] = [
    `Every JSON body as a JSON Schema (draft 2020-12). Together they form one schema document whose \`$defs\` hold each of them, so \`{"$ref": "#/$defs/CaseView"}\` points at the definition printed first.`,
  ];
  for (const [name, s] of definitions) out.push(`### \`${name}\`\n\n\`\`\`json\n${json(s, s)}\n\`\`\``);
  for (const b of bodies) out.push(`### \`${b.name}\`\n\n${b.title}.\n\n\`\`\`json\n${json(b.schema)}\n\`\`\``);
  return out.join('\n\n');
}

/** The worked examples of docs/district-link.md "Signing", from the signing code itself. */
export const signingExample = {
  outbound: {
    secret: 'example-district-secret',
    timestamp: '1782872405',
    body: '{"kind":"case","key":"case:42:opened"}',
  },
  feedback: {
    secret: 'example-feedback-secret',
    timestamp: '1782873000',
    nonce: 'f3a9c2e71b5d4a60',
    body: '{"caseId":"42","action":"signed","at":"2026-07-01T10:29:00+08:00"}',
  },
} as const;

export function signingSection(): string {
  const o = signingExample.outbound;
  const f = signingExample.feedback;
  return [
    'What we send: key `' + o.secret + '`, timestamp `' + o.timestamp + '`, body (the exact bytes) `' + o.body + '`:',
    '',
    '```text',
    `signed text          ${o.timestamp}.${o.body}`,
    `X-CityOps-Timestamp: ${o.timestamp}`,
    `X-CityOps-Signature: ${signBody(o.secret, o.timestamp, o.body)}`,
    '```',
    '',
    'Feedback: key `' + f.secret + '`, timestamp `' + f.timestamp + '`, nonce `' + f.nonce + '`, body `' + f.body + '`:',
    '',
    '```text',
    `signed text          ${f.timestamp}.${f.nonce}.${f.body}`,
    `X-CityOps-Timestamp: ${f.timestamp}`,
    `X-CityOps-Nonce:     ${f.nonce}`,
    `X-CityOps-Signature: ${signBody(f.secret, f.timestamp, f.body, f.nonce)}`,
    '```',
    '',
    'The same with OpenSSL:',
    '',
    '```sh',
    `printf '%s' '${f.timestamp}.${f.nonce}.${f.body}' | openssl dgst -sha256 -hmac '${f.secret}'`,
    '```',
  ].join('\n');
}

const marks = {
  schemas: ['<!-- district-schemas:start -->', '<!-- district-schemas:end -->'],
  signing: ['<!-- district-signing:start -->', '<!-- district-signing:end -->'],
} as const;

/** The page with its generated sections rewritten. */
export function renderDistrictDoc(page: string): string {
  let out = page;
  for (const [part, [start, end]] of Object.entries(marks) as Array<[keyof typeof marks, readonly [string, string]]>) {
    const a = out.indexOf(start);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`docs/district-link.md lacks the ${start} / ${end} markers`);
    out = `${out.slice(0, a + start.length)}\n${part === 'schemas' ? schemaSection() : signingSection()}\n${out.slice(b)}`;
  }
  return out;
}

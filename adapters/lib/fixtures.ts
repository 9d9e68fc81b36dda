/**
 * Fixture files (adapters/fixtures/<adapter-id>/*.json): the samples every adapter ships and the
 * contract test replays. `valid-*` files carry `expect`, `invalid-*` files `expectError`.
 *
 * Sensor fixture: one of `payload` (a JSON value, sent as its UTF-8 text), `payloadText`,
 * `payloadHex` or `payloadBase64`; then `{"expect": {"readings": [...]}}` or
 * `{"expectError": "BAD_CHECKSUM", "expectErrorIncludes"?: "..."}`.
 * Platform fixture: `body` (the pushed JSON); `{"expect": {"messages": [...]}}` (with `rawHex` for
 * a transparent payload) or `expectError`; optionally `then` to map the first message onto a
 * device adapter: `{"adapter", "rename"?, "ignore"?, "readings"}`.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from 'typebox';
import { base64ToBytes, hexToBytes } from '../codecs/bytes.js';
import { checkSchema } from './json.js';

const ReadingShape = Type.Object(
  {
    metric: Type.String(),
    value: Type.Optional(Type.Number()),
    state: Type.Optional(Type.String()),
    time: Type.Optional(Type.Integer()),
    seq: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

const errorCode = Type.Union(
  ['MALFORMED', 'WRONG_TYPE', 'MISSING_FIELD', 'UNKNOWN_METRIC', 'OUT_OF_RANGE', 'BAD_CHECKSUM', 'SHORT_FRAME', 'UNSUPPORTED'].map((c) => Type.Literal(c)),
);

export const SensorFixture = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    payload: Type.Optional(Type.Unknown()),
    payloadText: Type.Optional(Type.String()),
    payloadHex: Type.Optional(Type.String()),
    payloadBase64: Type.Optional(Type.String()),
    expect: Type.Optional(Type.Object({ readings: Type.Array(ReadingShape) }, { additionalProperties: false })),
    expectError: Type.Optional(errorCode),
    expectErrorIncludes: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const MessageShape = Type.Object(
  {
    externalId: Type.String(),
    altIds: Type.Optional(Type.Array(Type.String())),
    time: Type.Optional(Type.Integer()),
    properties: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean()])),
    rawHex: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const PlatformFixture = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    body: Type.Unknown(),
    expect: Type.Optional(Type.Object({ messages: Type.Array(MessageShape) }, { additionalProperties: false })),
    expectError: Type.Optional(errorCode),
    then: Type.Optional(
      Type.Object(
        {
          adapter: Type.String(),
          rename: Type.Optional(Type.Record(Type.String(), Type.String())),
          ignore: Type.Optional(Type.Array(Type.String())),
          readings: Type.Array(ReadingShape),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type SensorFixture = Static<typeof SensorFixture>;
export type PlatformFixture = Static<typeof PlatformFixture>;

export interface LoadedFixture<F> {
  file: string;
  fixture: F;
}

export const fixturesDir = fileURLToPath(new URL('../fixtures', import.meta.url));

/** Every fixture of one adapter, sorted by file name; throws on a file that breaks the format. */
export async function loadFixtures<S extends typeof SensorFixture | typeof PlatformFixture>(
  adapterId: string,
  schema: S,
): Promise<LoadedFixture<Static<S>>[]> {
  const dir = path.join(fixturesDir, adapterId);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  const out: LoadedFixture<Static<S>>[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const checked = checkSchema(schema, JSON.parse(await readFile(file, 'utf8')) as unknown);
    if (!checked.ok) throw new Error(`${file}: ${checked.error.message}`);
    const f = checked.value as SensorFixture | PlatformFixture;
    const valid = name.startsWith('valid-');
    if (!valid && !name.startsWith('invalid-')) throw new Error(`${file}: name must start with valid- or invalid-`);
    if ((f.expect !== undefined) !== valid || (f.expectError !== undefined) === valid) {
      throw new Error(`${file}: a valid- fixture has expect, an invalid- fixture has expectError`);
    }
    out.push({ file, fixture: checked.value });
  }
  return out;
}

/** The bytes a sensor fixture sends. */
export function fixturePayload(f: SensorFixture): Uint8Array {
  const forms = [f.payload !== undefined, f.payloadText !== undefined, f.payloadHex !== undefined, f.payloadBase64 !== undefined];
  if (forms.filter(Boolean).length !== 1) throw new Error(`fixture "${f.description}" needs exactly one payload form`);
  if (f.payloadText !== undefined) return new TextEncoder().encode(f.payloadText);
  if (f.payloadHex !== undefined) return need(hexToBytes(f.payloadHex), 'payloadHex');
  if (f.payloadBase64 !== undefined) return need(base64ToBytes(f.payloadBase64), 'payloadBase64');
  return new TextEncoder().encode(JSON.stringify(f.payload));
}

function need(b: Uint8Array | undefined, what: string): Uint8Array {
  if (!b) throw new Error(`${what} is not valid`);
  return b;
}

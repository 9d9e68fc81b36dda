/**
 * JSON payloads: bytes → `unknown` → schema-checked value. The TypeBox schema gives both the
 * TypeScript type and the runtime check (STYLE.md §5); its errors become decode errors.
 */
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { Compile } from 'typebox/compile';
import type { DecodeError, DecodeErrorCode } from '../types.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a UTF-8 JSON document (a leading BOM is tolerated). */
export function parseJson(payload: Uint8Array): Checked<unknown> {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { ok: false, error: { code: 'MALFORMED', message: 'payload is not valid UTF-8 text' } };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return { ok: false, error: { code: 'MALFORMED', message: 'payload is empty' } };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const why = e instanceof Error ? e.message : 'parse error';
    return { ok: false, error: { code: 'MALFORMED', message: `payload is not JSON: ${why}` } };
  }
}

interface RawError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

const codeByKeyword: Record<string, DecodeErrorCode> = {
  required: 'MISSING_FIELD',
  additionalProperties: 'MALFORMED',
  minimum: 'OUT_OF_RANGE',
  maximum: 'OUT_OF_RANGE',
  exclusiveMinimum: 'OUT_OF_RANGE',
  exclusiveMaximum: 'OUT_OF_RANGE',
};

/** Checks `value` against `schema`; the first problem becomes a DecodeError naming the field. */
export function checkSchema<S extends TSchema>(schema: S, value: unknown): Checked<Static<S>> {
  if (compiled(schema).Check(value)) return { ok: true, value: value as Static<S> };
  const errors = [...(Value.Errors(schema, value) as Iterable<RawError>)].filter((e) => e.keyword !== 'boolean');
  const first = errors[0];
  if (!first) return { ok: false, error: { code: 'WRONG_TYPE', message: 'payload does not match the expected shape' } };
  // A union reports each branch, then `anyOf`: report the union once, at its path.
  const union = errors.find((e) => e.keyword === 'anyOf' && e.instancePath === first.instancePath);
  const e = union ?? first;
  let field = e.instancePath || '/';
  let message = e.message;
  if (e.keyword === 'required' && Array.isArray(e.params.requiredProperties)) {
    const names = e.params.requiredProperties as string[];
    field = `${e.instancePath}/${names[0] ?? ''}`;
    message = `is required (missing: ${names.join(', ')})`;
  } else if (e.keyword === 'additionalProperties' && Array.isArray(e.params.additionalProperties)) {
    const names = e.params.additionalProperties as string[];
    field = `${e.instancePath}/${names[0] ?? ''}`;
    message = `is not a known field (unexpected: ${names.join(', ')})`;
  } else if (e.keyword === 'anyOf') {
    message = 'has a type that is not allowed here';
  }
  const code = codeByKeyword[e.keyword] ?? 'WRONG_TYPE';
  return { ok: false, error: { code, message: `${field} ${message}`, field } };
}

/** `parseJson` then `checkSchema`: wire bytes → the schema's type, or the first problem. */
export function parseJsonAs<S extends TSchema>(schema: S, payload: Uint8Array): Checked<Static<S>> {
  const json = parseJson(payload);
  return json.ok ? checkSchema(schema, json.value) : json;
}

/** UTF-8 JSON bytes of `value`, as an encoder returns them. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/**
 * Payload schemas are checked on every message: compile each once (JIT code instead of walking
 * the schema), keyed by the schema object. Errors are rare and still use the walking checker.
 */
const validators = new WeakMap<TSchema, { Check(value: unknown): boolean }>();
function compiled(schema: TSchema): { Check(value: unknown): boolean } {
  let v = validators.get(schema);
  if (!v) {
    v = Compile(schema);
    validators.set(schema, v);
  }
  return v;
}

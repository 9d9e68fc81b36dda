import type { TSchema, Static } from 'typebox';
import { Value } from 'typebox/value';
import { GatewayError, type ErrorCode, type ErrorDetail } from './errors.js';

/**
 * One schema gives the type and the runtime check (STYLE.md §5). `validate` turns wire data
 * (`unknown`) into the schema's type, or throws a GatewayError whose details name each bad field.
 */
export function validate<S extends TSchema>(
  schema: S,
  value: unknown,
  opts: { what: string; code?: ErrorCode; defaults?: boolean } = { what: 'input' },
): Static<S> {
  const candidate = opts.defaults === false ? value : Value.Default(schema, Value.Clone(value));
  if (Value.Check(schema, candidate)) return candidate as Static<S>;
  const details = schemaErrors(schema, candidate);
  const first = details[0];
  const where = first?.field ? ` at ${first.field}` : '';
  throw new GatewayError(
    opts.code ?? 'GW_ERR_VALIDATION',
    `${opts.what} is invalid${where}: ${first?.message ?? 'does not match the schema'}`,
    details,
  );
}

interface RawError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** Flattens typebox errors into `{ field, message }`, naming missing and unexpected keys. */
export function schemaErrors(schema: TSchema, value: unknown): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const raw of Value.Errors(schema, value) as Iterable<RawError>) {
    if (raw.keyword === 'boolean') continue; // duplicate of additionalProperties
    let field = raw.instancePath || '/';
    let message = raw.message;
    if (raw.keyword === 'required' && Array.isArray(raw.params.requiredProperties)) {
      const names = raw.params.requiredProperties as string[];
      field = `${raw.instancePath}/${names[0] ?? ''}`;
      message = `is required (missing: ${names.join(', ')})`;
    } else if (raw.keyword === 'additionalProperties' && Array.isArray(raw.params.additionalProperties)) {
      const names = raw.params.additionalProperties as string[];
      field = `${raw.instancePath}/${names[0] ?? ''}`;
      message = `is not a known property (unexpected: ${names.join(', ')})`;
    }
    const key = `${field}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, message });
  }
  return out;
}

import { GatewayError } from '../core/errors.js';

/**
 * A feed filter on event types: exact names (`warning.raised`) and prefixes (`warning.*`, or
 * `*` for everything). One parsed form serves the SQL of a pull and the test of a live event.
 */
export interface TypeFilter {
  exact: string[];
  /** Prefixes including their final dot, e.g. `warning.`; `''` matches every type. */
  prefixes: string[];
}

const pattern = /^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$/;

/** Undefined or empty means no filter. Throws GW_ERR_VALIDATION for a malformed entry. */
export function parseTypeFilter(types: readonly string[] | undefined): TypeFilter | undefined {
  const entries = (types ?? []).map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) return undefined;
  const filter: TypeFilter = { exact: [], prefixes: [] };
  for (const entry of entries) {
    if (!pattern.test(entry)) {
      throw new GatewayError('GW_ERR_VALIDATION', `event type filter "${entry}" is not a type name (warning.raised) or a prefix (warning.*)`, [{ field: '/types', message: 'expected dotted lower-case names, optionally ending in .*' }]);
    }
    if (entry.endsWith('*')) filter.prefixes.push(entry.slice(0, -1));
    else filter.exact.push(entry);
  }
  return filter;
}

/** `types=a,b` from a query string: comma-separated, repeated parameters allowed. */
export function splitTypes(raw: string | readonly string[] | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return (typeof raw === 'string' ? [raw] : raw).flatMap((s) => s.split(','));
}

export function matchesType(filter: TypeFilter | undefined, type: string): boolean {
  if (!filter) return true;
  return filter.exact.includes(type) || filter.prefixes.some((p) => type.startsWith(p));
}

/** LIKE patterns for the prefixes (the dotted names hold no LIKE wildcards but `_`, escaped here). */
export function likePatterns(filter: TypeFilter): string[] {
  return filter.prefixes.map((p) => `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
}

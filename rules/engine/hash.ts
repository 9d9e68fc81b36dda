import { createHash } from 'node:crypto';
import type { Rule } from '../schema.js';

/** Object keys sorted at every level, so equal content gives equal text whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Hash of what evaluation depends on: the whole rule except name, description and tags
 * (canonical JSON, sha1 hex). Pass the validated rule (defaults applied): a field left out and
 * the same field at its default hash differently.
 */
export function ruleHash(rule: Rule): string {
  const { name: _n, description: _d, tags: _t, ...rest } = rule;
  return createHash('sha1').update(canonical(rest)).digest('hex');
}

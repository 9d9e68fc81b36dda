/**
 * A small structural diff between two JSON values, for rule versions: the list of changed
 * leaves as JSON-pointer paths (RFC 6901). Objects are compared key by key; arrays element by
 * element, with added or removed tail elements as their own entries; anything else as a whole.
 */
export interface Change {
  path: string;
  /** Absent (undefined) when the path was added. */
  before?: unknown;
  /** Absent (undefined) when the path was removed. */
  after?: unknown;
}

export function jsonDiff(before: unknown, after: unknown): Change[] {
  const out: Change[] = [];
  walk(before, after, '', out);
  return out;
}

/** RFC 6901 §3: `~` is written `~0` and `/` is written `~1`. */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function walk(a: unknown, b: unknown, path: string, out: Change[]): void {
  if (Object.is(a, b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const p = `${path}/${i}`;
      if (i >= a.length) out.push({ path: p, after: b[i] as unknown });
      else if (i >= b.length) out.push({ path: p, before: a[i] as unknown });
      else walk(a[i], b[i], p, out);
    }
    return;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const p = `${path}/${pointerToken(k)}`;
      if (!(k in b)) out.push({ path: p, before: a[k] });
      else if (!(k in a)) out.push({ path: p, after: b[k] });
      else walk(a[k], b[k], p, out);
    }
    return;
  }
  out.push({ path: path || '/', before: a, after: b });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Splits a migration file into single statements, so each one can be sent on its own: PGlite's
 * query() takes one statement, and TimescaleDB statements that refuse a transaction block must
 * not share a multi-statement simple query (PostgreSQL runs those as one implicit transaction).
 * Understands '...' and E'...' strings, "..." identifiers, $tag$...$tag$ bodies, -- and nested
 * /* *\/ comments. Comment-only and empty pieces are dropped.
 */
export function splitSql(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  let hasCode = false;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(sql[i - 1] ?? '') && !/[\w$]/.test(sql[i - 2] ?? '');
      i = skipQuoted(sql, i, "'", escapes);
      hasCode = true;
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
      hasCode = true;
    } else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][\w]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        if (end < 0) throw new Error(`unterminated dollar-quoted string ${tag[0]} at offset ${i}`);
        i = end + tag[0].length;
      } else {
        i++;
      }
      hasCode = true;
    } else if (c === ';') {
      if (hasCode) out.push(sql.slice(start, i).trim());
      start = i + 1;
      hasCode = false;
      i++;
    } else {
      if (c !== undefined && !/\s/.test(c)) hasCode = true;
      i++;
    }
  }
  if (hasCode) out.push(sql.slice(start).trim());
  return out;
}

function skipBlockComment(sql: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  throw new Error(`unterminated block comment at offset ${from}`);
}

/** Returns the offset just past the closing quote; a doubled quote is an escaped one. */
function skipQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  throw new Error(`unterminated ${quote === "'" ? 'string' : 'identifier'} at offset ${from}`);
}

/**
 * How well a list of grid-block prefixes covers a block code: the length of the longest prefix
 * that matches, 0 for an empty list (it covers every block), -1 when none matches. Nested
 * blocks resolve to the most specific entry (town → grid → community → block).
 */
export function matchLength(prefixes: readonly string[], blockCode: string): number {
  if (prefixes.length === 0) return 0;
  let best = -1;
  for (const p of prefixes) if (blockCode.startsWith(p) && p.length > best) best = p.length;
  return best;
}

/** Block codes are stored as digits; people write them with dashes (`310117006-02-006-001`). */
export function compactBlock(code: string): string {
  return code.replace(/-/g, '');
}

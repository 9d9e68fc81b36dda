/**
 * Grid block codes (seed 002 §8–11, DOMAIN.md S5): town → responsibility grid →
 * village/community → responsibility block. A code is 17 digits, so that any prefix at a level
 * boundary names an area and "all devices in this grid" is a prefix match:
 *
 *   310117006 01 003 012
 *   │         │  │   └─ block      (3 digits, 001–999) — one of the 14 block types
 *   │         │  └───── community  (3 digits, 001–999) — village or residential community
 *   │         └──────── grid       (2 digits, 01–99)   — responsibility grid
 *   └────────────────── town       (9 digits) — the town/street's statistical division code:
 *                                   6-digit GB/T 2260 county code + 3-digit town code
 *
 * Written with or without dashes (`310117006-01-003-012`); stored without.
 */
export const blockLevels = ['town', 'grid', 'community', 'block'] as const;
export type BlockLevel = (typeof blockLevels)[number];

/** Length of the code at each level. */
export const levelLength: Record<BlockLevel, number> = { town: 9, grid: 11, community: 14, block: 17 };

export interface BlockCodeParts {
  town: string;
  grid: string;
  community: string;
  block: string;
}

export type BlockCodeResult = { ok: true; code: string; level: BlockLevel } | { ok: false; message: string };

/**
 * Parses a full block code or an area prefix (town, grid or community). Zero parts below the
 * town (grid 00, community 000, block 000) are not allowed: they would name no area.
 */
export function parseBlockCode(input: string, opts: { requireLevel?: BlockLevel } = {}): BlockCodeResult {
  const compact = input.trim().replace(/-/g, '');
  if (!/^\d+$/.test(compact)) return { ok: false, message: `block code "${input}" must be digits, optionally grouped town-grid-community-block with dashes` };
  const level = blockLevels.find((l) => levelLength[l] === compact.length);
  if (!level) return { ok: false, message: `block code "${input}" has ${compact.length} digits; expected 9 (town), 11 (grid), 14 (community) or 17 (block)` };
  if (opts.requireLevel && level !== opts.requireLevel) {
    return { ok: false, message: `block code "${input}" names a ${level}; a ${opts.requireLevel} code (${levelLength[opts.requireLevel]} digits) is required` };
  }
  const parts = splitBlockCode(compact);
  if (/^0+$/.test(parts.town.slice(0, 6))) return { ok: false, message: `block code "${input}" has no county part (first 6 digits are zero)` };
  if (parts.grid === '00') return { ok: false, message: `block code "${input}" has grid 00; grids are numbered from 01` };
  if (parts.community === '000') return { ok: false, message: `block code "${input}" has community 000; communities are numbered from 001` };
  if (parts.block === '000') return { ok: false, message: `block code "${input}" has block 000; blocks are numbered from 001` };
  return { ok: true, code: compact, level };
}

export function splitBlockCode(code: string): BlockCodeParts {
  return { town: code.slice(0, 9), grid: code.slice(9, 11), community: code.slice(11, 14), block: code.slice(14, 17) };
}

/** `31011700601003012` → `310117006-01-003-012` (only the levels present). */
export function formatBlockCode(code: string): string {
  const p = splitBlockCode(code);
  return [p.town, p.grid, p.community, p.block].filter((s) => s.length > 0).join('-');
}

/** The area code at a level above (or at) the code's own, e.g. the grid of a block. */
export function blockAncestor(code: string, level: BlockLevel): string {
  return code.slice(0, levelLength[level]);
}

/** Whether `code` lies inside the area named by `prefix` (a code at any level). */
export function blockWithin(code: string, prefix: string): boolean {
  return code.startsWith(prefix.replace(/-/g, ''));
}

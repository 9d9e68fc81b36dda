/**
 * Printable HTML for the reports: one self-contained page (inline CSS, A4, no scripts), every
 * value escaped.
 */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type Cell = string | number | null;

/** A table; `numeric` columns are right-aligned. */
export function table(head: readonly string[], rows: ReadonlyArray<readonly Cell[]>, opts: { numeric?: readonly number[]; foot?: readonly Cell[] } = {}): string {
  const cls = (i: number) => (opts.numeric?.includes(i) ? ' class="n"' : '');
  const tr = (cells: readonly Cell[], tag: 'td' | 'th') => `<tr>${cells.map((c, i) => `<${tag}${cls(i)}>${esc(c ?? '—')}</${tag}>`).join('')}</tr>`;
  const body = rows.length > 0 ? rows.map((r) => tr(r, 'td')).join('\n') : `<tr><td colspan="${head.length}" class="none">无 (none)</td></tr>`;
  const foot = opts.foot ? `<tfoot>${tr(opts.foot, 'th')}</tfoot>` : '';
  return `<table><thead>${tr(head, 'th')}</thead><tbody>\n${body}\n</tbody>${foot}</table>`;
}

/** A count map as rows, largest first. */
export function countRows(counts: Readonly<Record<string, number>>, label: (k: string) => string = (k) => k): Cell[][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => [label(k), n]);
}

export const minutes = (ms: number | null) => (ms === null ? null : (ms / 60_000).toFixed(1));
export const percent = (share: number | null) => (share === null ? null : `${(share * 100).toFixed(1)}%`);

const style = `
  body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #111; }
  h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #999; }
  .meta { color: #555; font-size: 0.9em; } .note { color: #555; font-size: 0.85em; }
  table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
  th, td { border: 1px solid #999; padding: 0.25em 0.6em; text-align: left; } th { background: #eee; }
  .n { text-align: right; font-variant-numeric: tabular-nums; } .none { color: #777; text-align: center; }
  @page { size: A4; margin: 15mm; } @media print { body { margin: 0; } h2 { break-after: avoid; } table { break-inside: avoid; } }`;

export function page(title: string, meta: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${style}</style></head>
<body><h1>${esc(title)}</h1><p class="meta">${esc(meta)}</p>
${body}
</body></html>
`;
}

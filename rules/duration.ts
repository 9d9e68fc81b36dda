const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s` → 90000. Throws on anything the rule schema's duration pattern would refuse. */
export function parseDuration(text: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(text);
  const unit = m?.[2];
  if (!m || unit === undefined) throw new Error(`"${text}" is not a duration (a whole number with ms, s, m, h or d)`);
  return Number(m[1]) * (units[unit] ?? 0);
}

/** 90000 → `90s`, picking the largest unit that divides it. */
export function formatDuration(ms: number): string {
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms !== 0 && ms % f === 0) return `${ms / f}${u}`;
  }
  return `${ms}ms`;
}

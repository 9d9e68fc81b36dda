/** Adds `n` to the count of `key`. */
export function tally(counts: Record<string, number>, key: string, n: number): void {
  counts[key] = (counts[key] ?? 0) + n;
}

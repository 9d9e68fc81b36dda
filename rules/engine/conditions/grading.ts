import { grades, type Grade } from '../../schema.js';
import type { Levels, PerLevel } from './types.js';

/** `{yellow: 25, red: 50}` → [NaN, NaN, 25, NaN, 50] (index = level). */
export function perLevel<T>(byGrade: Partial<Record<Grade, T>>, map: (item: T) => number): number[] {
  const out = [NaN, NaN, NaN, NaN, NaN];
  grades.forEach((g, i) => {
    const item = byGrade[g];
    if (item !== undefined) out[i + 1] = map(item);
  });
  return out;
}

/**
 * Grading a number against per-grade thresholds. `above`: raise = highest grade whose
 * threshold the value reaches (≥); hold = highest grade with value > threshold − hysteresis.
 * `below` mirrors it (≤; hold while value < threshold + hysteresis). Hold is never below
 * raise, so with no hysteresis a value exactly at a threshold both raises and holds.
 * Grades the rule leaves out are skipped.
 */
export function gradeNumber(v: number, thresholds: PerLevel, above: boolean, hysteresis: number, out: Levels): void {
  let raise = 0;
  let hold = 0;
  for (let g = 4; g >= 1; g--) {
    const t = thresholds[g] as number;
    if (t !== t) continue; // NaN: grade not given
    if (above) {
      if (raise === 0 && v >= t) raise = g;
      if (hold === 0 && v > t - hysteresis) hold = g;
    } else {
      if (raise === 0 && v <= t) raise = g;
      if (hold === 0 && v < t + hysteresis) hold = g;
    }
    if (raise !== 0) break;
  }
  out.raise = raise;
  out.hold = hold > raise ? hold : raise;
}

/** The lowest level above `level` the thresholds give (the grade that ended on the way down), or 0. */
export function nextLevelUp(thresholds: PerLevel, level: number): number {
  for (let g = level + 1; g <= 4; g++) if (!Number.isNaN(thresholds[g])) return g;
  return 0;
}

export function fmtNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

/** " ≥ 25 (yellow)" going up; coming down, the bound it passed: " < 15 (blue)", " ≤ 13 (blue 15 − 2)". */
export function boundText(thresholds: PerLevel, level: number, down: boolean, above: boolean, hysteresis: number): string {
  if (!down) {
    if (level === 0) return '';
    return ` ${above ? '≥' : '≤'} ${fmtNumber(thresholds[level] as number)} (${grades[level - 1]})`;
  }
  const ended = nextLevelUp(thresholds, level);
  if (ended === 0) return '';
  const t = thresholds[ended] as number;
  if (hysteresis === 0) return ` ${above ? '<' : '>'} ${fmtNumber(t)} (${grades[ended - 1]})`;
  const bound = above ? t - hysteresis : t + hysteresis;
  return ` ${above ? '≤' : '≥'} ${fmtNumber(bound)} (${grades[ended - 1]} ${fmtNumber(t)} ${above ? '−' : '+'} ${fmtNumber(hysteresis)})`;
}

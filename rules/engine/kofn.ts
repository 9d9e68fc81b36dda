import { formatDuration } from '../duration.js';
import { grades } from '../schema.js';
import type { KOfN } from './compile.js';
import type { BlockState } from './subjects.js';

/**
 * k_of_n: the subject is a block (the first `blockDigits` digits of the device's block code).
 * Each member device's `of` condition is evaluated at its readings; the block keeps, per device,
 * whether `of` holds (raise > 0) and when it last held. A device counts while `of` holds and
 * for `window` after it stopped; level = the highest grade whose k the count reaches
 * (raise = hold: no hysteresis on a count). Devices age out of the window by timer.
 */
export function counted(b: BlockState, windowMs: number, t: number): string[] {
  const out: string[] = [];
  for (const [id, m] of b.members) if (m.held || (m.lastHeld >= 0 && t - m.lastHeld < windowMs)) out.push(id);
  return out.sort();
}

export function blockLevel(k: KOfN, count: number): number {
  for (let g = 4; g >= 1; g--) if (count >= (k.k[g] as number)) return g; // NaN compares false
  return 0;
}

/** The next instant after t a member ages out of the window, or Infinity. */
export function nextAgeOut(b: BlockState, windowMs: number, t: number): number {
  let next = Infinity;
  for (const m of b.members.values()) {
    if (m.held || m.lastHeld < 0) continue;
    const out = m.lastHeld + windowMs;
    if (out > t && out < next) next = out;
  }
  return next;
}

export function blockReason(k: KOfN, prefix: string, devices: number, level: number, down: boolean): string {
  const within = `within ${formatDuration(k.windowMs)}`;
  if (down) return `${devices} device(s) in block ${prefix} ${within}`;
  return `${devices} of ${k.k[level]} devices in block ${prefix} ${within} (${grades[level - 1]})`;
}

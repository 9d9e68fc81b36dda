/**
 * Seeded randomness for the simulators. Values are a pure function of (seed, key, step), so a
 * scenario can be asked for any instant in any order and a test replays exactly what a run did.
 */

/** FNV-1a over the UTF-16 code units: a stable 32-bit hash of a key. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a small, fast PRNG with a 32-bit state; good enough for noise, not for secrets. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform number in [0, 1) fixed by (seed, key, step). */
export function uniform(seed: number, key: string, step = 0): number {
  return mulberry32(hash32(`${key}#${step}`, seed))();
}

/** Uniform noise in [-amplitude, amplitude], fixed by (seed, key, step). */
export function noise(seed: number, key: string, step: number, amplitude: number): number {
  return (uniform(seed, key, step) * 2 - 1) * amplitude;
}

/**
 * Noise that wanders smoothly: a cosine blend of the fixed values at whole steps, so a reading
 * does not jump about between two reports the way pure white noise would.
 */
export function smoothNoise(seed: number, key: string, position: number, amplitude: number): number {
  const i = Math.floor(position);
  const f = position - i;
  const w = (1 - Math.cos(f * Math.PI)) / 2;
  return noise(seed, key, i, amplitude) * (1 - w) + noise(seed, key, i + 1, amplitude) * w;
}

import { createHash } from 'node:crypto';

/** A seeded source of uniform numbers in [0, 1). Never Math.random: runs must be reproducible. */
export type Rng = () => number;

/**
 * sfc32 seeded from the SHA-256 of `key`, so any string (seed, image hash, epoch) gives an
 * independent, reproducible stream on every platform.
 */
export function createRng(key: string): Rng {
  const h = createHash('sha256').update(key).digest();
  let a = h.readUInt32LE(0), b = h.readUInt32LE(4), c = h.readUInt32LE(8), d = h.readUInt32LE(12);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // sfc32 needs a short warm-up before its output is well mixed
  return next;
}

/** A PRNG that counts its draws, so a resumed run can continue from the same position. */
export interface CountingRng extends Rng {
  /** Values drawn so far. */
  draws(): number;
  /** Draw and discard until `draws() === n` (the position a saved run had reached). */
  skipTo(n: number): void;
}

/** `createRng(key)`, counting. */
export function createCountingRng(key: string): CountingRng {
  const next = createRng(key);
  let count = 0;
  const rng = (): number => {
    count++;
    return next();
  };
  return Object.assign(rng, {
    draws: () => count,
    skipTo: (n: number) => {
      if (n < count) throw new Error(`cannot rewind a PRNG from ${count} to ${n} draws`);
      while (count < n) rng();
    },
  });
}

/** Uniform in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** Fisher–Yates shuffle of a copy of `items`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

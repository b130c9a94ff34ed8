import type { Rng } from '../data/random.ts';

/** A 31-bit integer seed for a tfjs initialiser or dropout mask, drawn from the run's PRNG. */
export function seedFrom(rng: Rng): number {
  return Math.floor(rng() * 2 ** 31);
}

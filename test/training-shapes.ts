import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createRng } from '../src/data/random.ts';

/**
 * A learnable synthetic dataset: red circles vs blue squares at random sizes and positions on
 * random grey-ish backgrounds, as PNGs in `train/` and `validation/` class folders.
 */
export async function makeShapesDataset(root: string, o: { perClass: number; val: number; seed: number; size?: number }): Promise<void> {
  const size = o.size ?? 64;
  const rng = createRng(`shapes:${o.seed}`);
  const r = (lo: number, hi: number): number => Math.round(lo + (hi - lo) * rng());
  for (const [split, n] of [['train', o.perClass], ['validation', o.val]] as const) {
    for (const cls of ['circles', 'squares']) {
      const dir = join(root, split, cls);
      await mkdir(dir, { recursive: true });
      for (let i = 0; i < n; i++) {
        const bg = `rgb(${r(90, 200)},${r(90, 200)},${r(90, 200)})`;
        const s = r(size / 5, size / 3);
        const x = r(s, size - s);
        const y = r(s, size - s);
        const shape = cls === 'circles'
          ? `<circle cx="${x}" cy="${y}" r="${s}" fill="rgb(${r(200, 255)},${r(0, 40)},${r(0, 40)})"/>`
          : `<rect x="${x - s}" y="${y - s}" width="${2 * s}" height="${2 * s}" fill="rgb(${r(0, 40)},${r(0, 40)},${r(200, 255)})"/>`;
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="${bg}"/>${shape}</svg>`;
        await sharp(Buffer.from(svg)).png().toFile(join(dir, `${cls}-${i}.png`));
      }
    }
  }
}

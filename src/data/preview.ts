import sharp from 'sharp';
import type { AugmentOptions } from './augment-options.ts';
import { augmentImage } from './augment.ts';
import type { Dataset, DatasetItem } from './dataset.ts';
import { decodeImage, DEFAULT_RESIZE } from './decode.ts';
import type { ResizeMode } from './decode.ts';
import { createRng, shuffled } from './random.ts';

/** Options of `renderAugmentPreview`. */
export interface PreviewOptions {
  /** Images shown (one row each). Default 16. */
  n?: number;
  /** Augmented variants beside each original. Default 4. */
  variants?: number;
  /** Tile edge in pixels (images are decoded at this size, as training decodes at its input size). Default 160. */
  tile?: number;
  /** Resize mode used for decoding. Default DEFAULT_RESIZE. */
  resize?: ResizeMode;
  /** Seed choosing the images and drawing the augmentations (the run's or command's `--seed`). */
  seed: number;
}

const GAP = 4;

/** Rows sampled across classes: a seeded shuffle of the training split, then round-robin by class. */
function pickItems(dataset: Dataset, n: number, seed: number): DatasetItem[] {
  const pool = shuffled(dataset.splits.train, createRng(`preview:${seed}`));
  const byClass = dataset.classes.map((_, c) => pool.filter((i) => i.classIndex === c));
  const picked: DatasetItem[] = [];
  for (let round = 0; picked.length < Math.min(n, pool.length); round++) {
    for (const members of byClass) if (members[round] && picked.length < n) picked.push(members[round]!);
  }
  return picked;
}

/**
 * A PNG grid, one row per image: the original (column 1, separated by a wider gap) then `variants`
 * augmented versions (copy 0..variants-1 of epoch 0), so a user sees what the settings do.
 */
export async function renderAugmentPreview(dataset: Dataset, augment: AugmentOptions, options: PreviewOptions): Promise<Buffer> {
  const n = options.n ?? 16;
  const variants = options.variants ?? 4;
  const tile = options.tile ?? 160;
  const { seed } = options;
  const decode = { width: tile, height: tile, resize: options.resize ?? DEFAULT_RESIZE };
  const items = pickItems(dataset, n, seed);
  const left = (col: number): number => GAP + col * (tile + GAP) + (col > 0 ? 2 * GAP : 0);
  const tiles = await Promise.all(
    items.map(async (item, row) => {
      const key = item.hash ?? item.path;
      const images = [
        await decodeImage(item.path, decode),
        ...(await Promise.all(Array.from({ length: variants }, (_, copy) => augmentImage(item.path, key, decode, augment, { seed, copy })))),
      ];
      return images.map((image, col) => ({
        input: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length),
        raw: { width: image.width, height: image.height, channels: 3 as const },
        left: left(col),
        top: GAP + row * (tile + GAP),
      }));
    }),
  );
  return sharp({ create: { width: left(variants + 1), height: GAP + items.length * (tile + GAP), channels: 3, background: '#ffffff' } })
    .composite(tiles.flat())
    .png()
    .toBuffer();
}

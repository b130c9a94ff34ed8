import { extractFeatures, loadFeatures, type ExtractOptions } from '../cache/extract-features.ts';
import type { AugmentationSpec } from '../cache/jobs.ts';
import type { ResolvedPrecision } from '../cache/precision.ts';
import type { DatasetItem } from '../data/dataset.ts';
import { UserError } from '../errors.ts';
import { ArraySource } from './batch-source.ts';

/** Which cached prefix to read, and how extraction runs. */
export type FeatureOptions = Pick<
  ExtractOptions,
  'weights' | 'cut' | 'extraCuts' | 'inputSize' | 'resize' | 'cache' | 'engine' | 'backend' | 'signal' | 'onProgress' | 'precision' | 'calibration' | 'onPrecision'
>;

/** Features for training and validation, plus the images that could not be read. */
export interface CachedFeatures {
  train: ArraySource;
  val: ArraySource;
  /** Items actually used (unreadable images dropped), for the manifest. */
  items: { train: DatasetItem[]; validation: DatasetItem[] };
  unreadable: { path: string; reason: string }[];
  /** The precision the features were computed in. */
  precision: ResolvedPrecision;
}

async function source(items: readonly DatasetItem[], o: FeatureOptions, copies: number[], augmentation?: AugmentationSpec): Promise<ArraySource> {
  const parts = await Promise.all(copies.map((copy) => loadFeatures(items, { ...o, copy, augmentation })));
  const all = new Float32Array(parts.reduce((n, p) => n + p.features.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p.features, offset);
    offset += p.features.length;
  }
  const labels = Int32Array.from({ length: items.length * copies.length }, (_, i) => items[i % items.length]!.classIndex);
  return new ArraySource(all, parts[0]!.shape.slice(1), labels);
}

/**
 * Fill the cache for the train and validation images (the frozen prefix runs once per image and
 * variant) and load the features in dataset order. With augmentation, the training set is the
 * originals plus `augmentCopies` cached augmented copies of each image.
 */
export async function cachedFeatures(
  split: { train: DatasetItem[]; validation: DatasetItem[] },
  o: FeatureOptions,
  augment?: { spec: AugmentationSpec; copies: number },
): Promise<CachedFeatures> {
  // Validation images are never augmented: val_loss must measure the images as they are.
  const summary = await extractFeatures([...split.train, ...split.validation.map((i) => ({ ...i, augment: false }))], {
    ...o,
    augmentCopies: augment?.copies ?? 0,
    augmentation: augment?.spec,
  });
  const bad = new Set(summary.unreadable.map((u) => u.path));
  const items = { train: split.train.filter((i) => !bad.has(i.path)), validation: split.validation.filter((i) => !bad.has(i.path)) };
  if (summary.interrupted) {
    throw new UserError(`interrupted during feature extraction after ${summary.computed} images; they are cached, so re-running resumes where it stopped.`);
  }
  const copies = [0, ...Array.from({ length: augment?.copies ?? 0 }, (_, i) => i + 1)];
  const read = { ...o, precision: summary.precision };
  return {
    train: await source(items.train, read, copies, augment?.spec),
    val: await source(items.validation, read, [0]),
    items,
    unreadable: summary.unreadable,
    precision: summary.precision,
  };
}

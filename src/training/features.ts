import { decidePrecision as decideExtractionPrecision, EXTRACT_DEFAULTS, extractFeatures, loadFeatures, type ExtractItem, type ExtractOptions, type ExtractSummary } from '../cache/extract-features.ts';
import type { PrecisionDecision } from '../cache/precision.ts';
import { cacheSchema, defaultOf } from '../options/pieces.ts';
import type { AugmentationSpec } from '../cache/jobs.ts';
import type { ResolvedPrecision } from '../cache/precision.ts';
import type { DatasetItem } from '../data/dataset.ts';
import { withoutUnreadable } from '../data/unreadable.ts';
import { InterruptedError } from '../errors.ts';
import { ArraySource, type TrainingData } from './batch-source.ts';

/** Which cached prefix to read, and how extraction runs. */
export type FeatureOptions = Pick<
  ExtractOptions,
  'weights' | 'cut' | 'extraCuts' | 'inputSize' | 'resize' | 'cache' | 'engine' | 'backend' | 'signal' | 'onEvent' | 'precision' | 'calibration'
> & {
  /** Told after every extraction (what was computed, how long it took). Default: none. */
  onExtracted?: (summary: ExtractSummary) => void;
};

/**
 * Decide the precision once for everything a run reads (on its training images, at `cuts`), so the
 * advisor's probes and the run share one calibration. Returns `o` with the decided precision.
 */
export async function decidePrecision(trainItems: readonly ExtractItem[], o: FeatureOptions, cuts: readonly string[]): Promise<FeatureOptions & { decision?: PrecisionDecision }> {
  const d = EXTRACT_DEFAULTS;
  const { precision, decision } = await decideExtractionPrecision(
    trainItems,
    { ...o, inputSize: o.inputSize ?? d.inputSize, resize: o.resize ?? d.resize, cache: o.cache ?? defaultOf(cacheSchema), engine: o.engine ?? d.engine },
    cuts,
  );
  return { ...o, precision, ...(decision ? { decision } : {}) };
}

/** Extract `items` with `o`, tell `onExtracted`, and refuse to go on when interrupted. */
export async function extractOrStop(items: readonly ExtractItem[], o: FeatureOptions & Pick<ExtractOptions, 'augmentCopies' | 'augmentation'>): Promise<ExtractSummary> {
  const summary = await extractFeatures(items, o);
  o.onExtracted?.(summary);
  if (summary.interrupted) {
    throw new InterruptedError(`interrupted during feature extraction after ${summary.computed} new images; they are cached, so re-running resumes where it stopped.`);
  }
  return summary;
}

/** Cached features for training and validation; the extraction pass found the unreadable images. */
export interface CachedFeatures extends TrainingData {
  train: ArraySource;
  val: ArraySource;
  /** The precision the features were computed in. */
  precision: ResolvedPrecision;
}

async function source(items: readonly DatasetItem[], o: FeatureOptions, copies: number[], augmentation?: AugmentationSpec): Promise<ArraySource> {
  const parts = await Promise.all(copies.map((copy) => loadFeatures(items, { ...o, copy, augmentation })));
  // One part (no augmentation) is used as it is: block3_pool features run to hundreds of MB.
  let all = parts[0]!.features;
  if (parts.length > 1) {
    all = new Float32Array(parts.reduce((n, p) => n + p.features.length, 0));
    let offset = 0;
    for (const p of parts) {
      all.set(p.features, offset);
      offset += p.features.length;
    }
  }
  const labels = Int32Array.from({ length: items.length * copies.length }, (_, i) => items[i % items.length]!.classIndex);
  return new ArraySource(all, parts[0]!.shape.slice(1), labels);
}

/** Training then validation items for extraction: validation images are never augmented (val_loss measures the images as they are). */
export function splitItems(split: { train: DatasetItem[]; validation: DatasetItem[] }): ExtractItem[] {
  return [...split.train, ...split.validation.map((i) => ({ ...i, augment: false }))];
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
  const summary = await extractOrStop(splitItems(split), { ...o, augmentCopies: augment?.copies ?? 0, augmentation: augment?.spec });
  const items = { train: withoutUnreadable(split.train, summary.unreadable), validation: withoutUnreadable(split.validation, summary.unreadable) };
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

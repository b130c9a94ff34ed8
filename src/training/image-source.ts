import type { AugmentOptions } from '../data/augment-options.ts';
import { streamBatches } from '../data/batches.ts';
import type { DatasetItem } from '../data/dataset.ts';
import type { ResizeMode } from '../data/decode.ts';
import { probeImages } from '../data/probe-images.ts';
import { withoutUnreadable } from '../data/unreadable.ts';
import { preprocessFor, VGG16_PREPROCESSING } from '../models/preprocess.ts';
import type { BatchSource, FitBatch, TrainingData } from './batch-source.ts';

/** How ImageSource decodes its images. */
export interface ImageSourceOptions {
  /** Classes in the dataset. Required. */
  numClasses: number;
  /** Square network input side in pixels. Required. */
  inputSize: number;
  /** How images are fitted to the input size. Required. */
  resize: ResizeMode;
  /** Seed of the augmentation draws. Required. */
  seed: number;
  /** Random augmentation of shuffled (training) passes. Default: none. */
  augment?: AugmentOptions;
}

/** Images decoded (and augmented) from disk batch by batch: the source for `retrain`. */
export class ImageSource implements BatchSource {
  readonly labels: Int32Array;
  private epoch = 0;

  constructor(
    private readonly items: readonly DatasetItem[],
    private readonly o: ImageSourceOptions,
  ) {
    this.labels = Int32Array.from(items, (i) => i.classIndex);
  }

  seekEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  /** Shuffled passes are training epochs: each draws fresh augmentations; source order never augments. */
  async *batches(batchSize: number, order: Int32Array | null): AsyncIterable<FitBatch> {
    const items = order === null ? this.items : Array.from(order, (i) => this.items[i]!);
    const augment = order === null ? undefined : this.o.augment;
    const epoch = order === null ? 0 : this.epoch++;
    for await (const batch of streamBatches(items, {
      numClasses: this.o.numClasses,
      batchSize,
      width: this.o.inputSize,
      height: this.o.inputSize,
      resize: this.o.resize,
      labels: 'index',
      seed: this.o.seed,
      epoch,
      augment,
      preprocess: preprocessFor(VGG16_PREPROCESSING),
    })) {
      batch.ys.dispose();
      yield { xs: batch.xs, labels: Int32Array.from(batch.items, (i) => i.classIndex) };
    }
  }

  dispose(): void {}
}

/**
 * Retrain's data: images decoded (and augmented) every epoch. The unreadable ones are found once, up
 * front, by decoding each at the training size (the pass `check` runs), and left out, so no epoch
 * meets a file it cannot read. Validation images are never augmented.
 */
export async function imageSources(split: { train: DatasetItem[]; validation: DatasetItem[] }, o: ImageSourceOptions): Promise<TrainingData> {
  const decodeAs = { width: o.inputSize, height: o.inputSize, resize: o.resize };
  const unreadable = await probeImages([...split.train, ...split.validation], { decodeAs });
  const items = { train: withoutUnreadable(split.train, unreadable), validation: withoutUnreadable(split.validation, unreadable) };
  return {
    train: new ImageSource(items.train, o),
    val: new ImageSource(items.validation, { ...o, augment: undefined }),
    items,
    unreadable,
  };
}

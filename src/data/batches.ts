import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { NO_AUGMENTATION } from './augment-options.ts';
import type { AugmentOptions } from './augment-options.ts';
import { augmentImage, isNoAugmentation } from './augment.ts';
import type { DatasetItem } from './dataset.ts';
import { decodeImage, DEFAULT_RESIZE, ImageDecodeError } from './decode.ts';
import type { DecodedImage, ResizeMode } from './decode.ts';
import { orderedMap } from './pool.ts';
import { createRng, shuffled } from './random.ts';

/** Options of `streamBatches`. */
export interface BatchStreamOptions {
  /** Number of classes (length of `Dataset.classes`), the width of one-hot labels. Required. */
  numClasses: number;
  /** Images per batch; the last batch may be smaller. Default 32. */
  batchSize?: number;
  /** Network input width and height. Default 224 x 224. */
  width?: number;
  height?: number;
  /** How images are fitted to the input size. Default DEFAULT_RESIZE (Keras load_img). */
  resize?: ResizeMode;
  /** Alpha / pad background. Default '#000000'. */
  background?: string;
  /** Labels as one-hot float32 [n, numClasses] (Keras 'categorical') or int32 class indices [n]. Default 'onehot'. */
  labels?: 'onehot' | 'index';
  /** Shuffle the order each epoch (seeded by seed + epoch). Keep false for feature extraction. Default false. */
  shuffle?: boolean;
  /** Seed of shuffling and augmentation. Default 0. */
  seed?: number;
  /** Epoch number: changes the shuffle order and the augmentation draws. Default 0. */
  epoch?: number;
  /** Random augmentation applied while decoding. Default none. */
  augment?: AugmentOptions;
  /** Augmented copy index (several cached variants per epoch). Default 0. */
  copy?: number;
  /**
   * Applied to each float32 RGB 0-255 batch [n, h, w, 3], e.g. VGG "caffe" preprocessing from
   * src/models/preprocess.ts. Default identity.
   */
  preprocess?: (batch: tf.Tensor4D) => tf.Tensor4D;
  /** sharp decodes running at once (each holds one full-size image in memory). Default: CPU count. */
  concurrency?: number;
  /** Batches decoded ahead of the consumer. Default 2. */
  prefetchBatches?: number;
  /**
   * Called for an image that fails to decode; the batch goes on without it. Default: rethrow the
   * ImageDecodeError (run `checkDataset` first and train on its `dataset` to avoid surprises).
   */
  onUnreadable?: (item: DatasetItem, error: ImageDecodeError) => void;
}

/** One batch. The consumer owns `xs` and `ys` and must dispose them (or use them inside tf.tidy). */
export interface Batch {
  /** Preprocessed pixels, float32 [n, height, width, 3]. */
  xs: tf.Tensor4D;
  /** Labels: float32 [n, numClasses] one-hot, or int32 [n] class indices. */
  ys: tf.Tensor;
  /** The items in this batch, in row order (skipped unreadable items excluded). */
  items: DatasetItem[];
}

/**
 * Stream `items` as tensor batches. Decoding (and augmentation) runs ahead of the consumer on
 * sharp's thread pool, at most `concurrency` images at once and `prefetchBatches` batches ahead,
 * so memory is bounded by a few batches whatever the dataset size: nothing is held after it is yielded.
 *
 * The consumer disposes every batch's `xs` and `ys`; the stream creates no other lasting tensors.
 */
export async function* streamBatches(items: readonly DatasetItem[], options: BatchStreamOptions): AsyncGenerator<Batch> {
  const batchSize = options.batchSize ?? 32;
  const width = options.width ?? 224;
  const height = options.height ?? 224;
  const seed = options.seed ?? 0;
  const epoch = options.epoch ?? 0;
  const augment = options.augment ?? NO_AUGMENTATION;
  const decode = { width, height, resize: options.resize ?? DEFAULT_RESIZE, background: options.background ?? '#000000' };
  const order = options.shuffle ? shuffled(items, createRng(`shuffle:${seed}:${epoch}`)) : items;
  const concurrency = options.concurrency ?? availableParallelism();

  const load = async (item: DatasetItem): Promise<DecodedImage | ImageDecodeError> => {
    try {
      return isNoAugmentation(augment)
        ? await decodeImage(item.path, decode)
        : await augmentImage(item.path, item.hash ?? item.path, decode, augment, { seed, epoch, copy: options.copy ?? 0 });
    } catch (err) {
      if (err instanceof ImageDecodeError && options.onUnreadable) return err;
      throw err;
    }
  };

  const pixels = width * height * 3;
  let buffer = new Float32Array(batchSize * pixels);
  let batchItems: DatasetItem[] = [];
  const emit = (): Batch => {
    const n = batchItems.length;
    const labels = batchItems.map((i) => i.classIndex);
    const xs = tf.tidy(() => {
      const raw = tf.tensor4d(buffer.subarray(0, n * pixels), [n, height, width, 3]);
      return options.preprocess ? options.preprocess(raw) : raw;
    });
    const ys =
      (options.labels ?? 'onehot') === 'onehot'
        ? tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), options.numClasses).toFloat())
        : tf.tensor1d(labels, 'int32');
    const batch = { xs, ys, items: batchItems };
    buffer = new Float32Array(batchSize * pixels); // the yielded tensor may alias the old buffer
    batchItems = [];
    return batch;
  };

  let index = 0;
  for await (const image of orderedMap(order, load, { concurrency, lookahead: batchSize * (options.prefetchBatches ?? 2) })) {
    const item = order[index++]!;
    if (image instanceof ImageDecodeError) {
      options.onUnreadable!(item, image);
      continue;
    }
    buffer.set(image.data, batchItems.length * pixels);
    batchItems.push(item);
    if (batchItems.length === batchSize) yield emit();
  }
  if (batchItems.length > 0) yield emit();
}

import * as tf from '@tensorflow/tfjs';
import { streamBatches } from '../data/batches.ts';
import type { DatasetItem } from '../data/dataset.ts';
import { preprocessInput, type Preprocessing } from '../models/preprocess.ts';

/** Options of `inferImages`. */
export interface InferOptions {
  /** Images per forward pass. Default: 16. */
  batchSize?: number;
}

/** An image that could not be decoded, with the reason in words. */
export interface UnreadableImage {
  path: string;
  reason: string;
}

/** Class probabilities for the readable images, in input order. */
export interface InferResult {
  /** The images that were decoded, in input order (unreadable ones left out). */
  items: DatasetItem[];
  /** `probabilities[i]`: the model's output row for `items[i]`. */
  probabilities: Float32Array[];
  unreadable: UnreadableImage[];
}

const INFER_DEFAULTS: Required<InferOptions> = { batchSize: 16 };

/** The tensor op for a preprocessing record's `mode` (the one training applied). */
function preprocessFor(preprocessing: Preprocessing): (x: tf.Tensor4D) => tf.Tensor4D {
  switch (preprocessing.mode) {
    case 'caffe':
      return (x) => preprocessInput(x) as tf.Tensor4D;
  }
}

/**
 * Run a stitched model over image files with exactly the recorded preprocessing (input size, resize
 * mode, caffe normalisation), batch by batch. Unreadable files are reported, not fatal. Leaves no tensors.
 */
export async function inferImages(model: tf.LayersModel, items: readonly DatasetItem[], preprocessing: Preprocessing, options: InferOptions = {}): Promise<InferResult> {
  const { batchSize } = { ...INFER_DEFAULTS, ...options };
  const [height, width] = preprocessing.size;
  const result: InferResult = { items: [], probabilities: [], unreadable: [] };
  for await (const batch of streamBatches(items, {
    numClasses: 1,
    labels: 'index',
    batchSize,
    width,
    height,
    resize: preprocessing.resize,
    preprocess: preprocessFor(preprocessing),
    onUnreadable: (item, error) => result.unreadable.push({ path: item.path, reason: error.reason }),
  })) {
    let y: tf.Tensor2D;
    try {
      y = tf.tidy(() => model.predict(batch.xs) as tf.Tensor2D);
    } finally {
      tf.dispose([batch.xs, batch.ys]);
    }
    const [rows, classes] = y.shape;
    const data = (await y.data()) as Float32Array;
    y.dispose();
    for (let i = 0; i < rows; i++) result.probabilities.push(data.slice(i * classes, (i + 1) * classes));
    result.items.push(...batch.items);
  }
  return result;
}

import * as tf from '@tensorflow/tfjs';
import type { DatasetItem } from '../data/dataset.ts';
import type { UnreadableImage } from '../data/unreadable.ts';

/**
 * What `fit` consumes from a BatchSource: inputs (features at the cut, or preprocessed images) and
 * integer class labels. The consumer disposes `xs`. (`streamBatches` yields images with their items:
 * data/batches.ts `Batch`; ImageSource turns those into these.)
 */
export interface FitBatch {
  xs: tf.Tensor;
  labels: Int32Array;
}

/** Where `fit` gets samples from: in-memory features, or images streamed from disk (retrain). */
export interface BatchSource {
  /** Labels of all samples, in source order. */
  readonly labels: Int32Array;
  /** Batches over the samples in `order` (a permutation, or source order when null). */
  batches(batchSize: number, order: Int32Array | null): AsyncIterable<FitBatch>;
  /** Free what the source holds. */
  dispose(): void;
  /** Sources whose shuffled passes differ by epoch (fresh augmentations) continue from pass `epoch` on resume. */
  seekEpoch?(epoch: number): void;
}

/** What a strategy trains on: the sources `fit` reads, and the images behind them for the manifest. */
export interface TrainingData {
  train: BatchSource;
  val: BatchSource;
  /** Items actually used (unreadable images dropped). */
  items: { train: DatasetItem[]; validation: DatasetItem[] };
  /** Images left out because they cannot be read, found in the strategy's one pass over the files. */
  unreadable: UnreadableImage[];
}

/**
 * Samples held as one row-major Float32Array in JS memory (cached features). Batches are built by
 * copying rows in JS: wasm's Gather kernel copies element by element and took two thirds of head
 * training time, and keeping features out of the backend spares wasm's 4 GB heap.
 */
export class ArraySource implements BatchSource {
  /** Floats per sample. */
  readonly rowSize: number;

  constructor(
    /** All samples, `labels.length` rows of `sampleShape`. */
    readonly values: Float32Array,
    /** Shape of one sample, e.g. [7, 7, 512]. */
    readonly sampleShape: readonly number[],
    readonly labels: Int32Array,
  ) {
    this.rowSize = sampleShape.reduce((a, b) => a * b, 1);
    if (values.length !== this.rowSize * labels.length) {
      throw new Error(`features hold ${values.length / this.rowSize} rows of [${sampleShape.join(', ')}] but there are ${labels.length} labels`);
    }
  }

  /** Copy a `[n, ...sampleShape]` tensor out of the backend (the tensor stays the caller's). */
  static async fromTensor(xs: tf.Tensor, labels: Int32Array): Promise<ArraySource> {
    return new ArraySource((await xs.data()) as Float32Array, xs.shape.slice(1), labels);
  }

  /** All samples as one `[n, ...sampleShape]` tensor; the caller disposes it. */
  toTensor(): tf.Tensor {
    return tf.tensor(this.values, [this.labels.length, ...this.sampleShape], 'float32');
  }

  async *batches(batchSize: number, order: Int32Array | null): AsyncIterable<FitBatch> {
    const n = this.labels.length;
    const row = this.rowSize;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(start + batchSize, n);
      const shape = [end - start, ...this.sampleShape];
      if (order === null) {
        yield { xs: tf.tensor(this.values.subarray(start * row, end * row), shape, 'float32'), labels: this.labels.slice(start, end) };
        continue;
      }
      const idx = order.subarray(start, end);
      const rows = new Float32Array(idx.length * row);
      idx.forEach((i, k) => rows.set(this.values.subarray(i * row, (i + 1) * row), k * row));
      yield { xs: tf.tensor(rows, shape, 'float32'), labels: Int32Array.from(idx, (i) => this.labels[i]!) };
    }
  }

  /** Nothing to free: the values live in JS memory and go with the last reference. */
  dispose(): void {}
}

/**
 * Run `source` once through `layers` in inference mode and keep the result: the frozen leading
 * layers of a phase are computed once instead of every epoch (e.g. block5 during finetune's warm-up,
 * or the head's global pooling).
 */
export async function precompute(source: BatchSource, layers: readonly tf.layers.Layer[], batchSize: number): Promise<ArraySource> {
  let values: Float32Array | undefined;
  let sampleShape: number[] = [];
  let offset = 0;
  for await (const batch of source.batches(batchSize, null)) {
    const out = tf.tidy(() => layers.reduce((x, l) => l.apply(x, { training: false }) as tf.Tensor, batch.xs));
    batch.xs.dispose();
    const data = (await out.data()) as Float32Array;
    if (values === undefined) {
      sampleShape = out.shape.slice(1);
      values = new Float32Array(source.labels.length * (data.length / out.shape[0]!));
    }
    out.dispose();
    values.set(data, offset);
    offset += data.length;
  }
  return new ArraySource(values ?? new Float32Array(0), sampleShape, source.labels);
}

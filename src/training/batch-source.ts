import * as tf from '@tensorflow/tfjs';

/** One batch: inputs and integer class labels. The consumer disposes `xs`. */
export interface Batch {
  xs: tf.Tensor;
  labels: Int32Array;
}

/** Where `fit` gets samples from: in-memory features, or images streamed from disk (retrain). */
export interface BatchSource {
  /** Labels of all samples, in source order. */
  readonly labels: Int32Array;
  /** Batches over the samples in `order` (a permutation, or source order when null). */
  batches(batchSize: number, order: Int32Array | null): AsyncIterable<Batch>;
  /** Free what the source holds. */
  dispose(): void;
}

/** Samples held as one tensor `[n, ...]` (cached features). */
export class TensorSource implements BatchSource {
  constructor(
    readonly xs: tf.Tensor,
    readonly labels: Int32Array,
  ) {
    if (xs.shape[0] !== labels.length) throw new Error(`features have ${xs.shape[0]} rows but ${labels.length} labels`);
  }

  async *batches(batchSize: number, order: Int32Array | null): AsyncIterable<Batch> {
    const n = this.labels.length;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(start + batchSize, n);
      if (order === null) {
        yield { xs: this.xs.slice(start, end - start), labels: this.labels.slice(start, end) };
      } else {
        const idx = order.slice(start, end);
        const xs = tf.tidy(() => tf.gather(this.xs, tf.tensor1d(idx, 'int32')));
        yield { xs, labels: Int32Array.from(idx, (i) => this.labels[i]!) };
      }
    }
  }

  dispose(): void {
    this.xs.dispose();
  }
}

/**
 * Run `source` once through `layers` in inference mode and keep the result: the frozen leading
 * layers of a phase are computed once instead of every epoch (e.g. block5 during finetune's warm-up).
 */
export async function precompute(source: BatchSource, layers: readonly tf.layers.Layer[], batchSize: number): Promise<TensorSource> {
  const parts: tf.Tensor[] = [];
  for await (const batch of source.batches(batchSize, null)) {
    parts.push(tf.tidy(() => layers.reduce((x, l) => l.apply(x, { training: false }) as tf.Tensor, batch.xs)));
    batch.xs.dispose();
  }
  const xs = tf.concat(parts);
  tf.dispose(parts);
  return new TensorSource(xs, source.labels);
}

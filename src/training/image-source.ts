import type { AugmentOptions } from '../data/augment-options.ts';
import { streamBatches } from '../data/batches.ts';
import type { DatasetItem } from '../data/dataset.ts';
import type { ResizeMode } from '../data/decode.ts';
import { preprocessFor, VGG16_PREPROCESSING } from '../models/preprocess.ts';
import type { FitBatch, BatchSource } from './batch-source.ts';

/** Images decoded (and augmented) from disk batch by batch: the source for `retrain`. */
export class ImageSource implements BatchSource {
  readonly labels: Int32Array;
  private epoch = 0;

  constructor(
    private readonly items: readonly DatasetItem[],
    private readonly o: { numClasses: number; inputSize: number; resize: ResizeMode; seed: number; augment?: AugmentOptions },
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

/**
 * The in-memory feature source and fit's once-per-phase precompute of leading layers that do not
 * change during a phase (frozen layers, and weightless deterministic ones such as the head's GAP).
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../src/data/random.ts';
import { ArraySource } from '../src/training/batch-source.ts';
import { fit } from '../src/training/fit.ts';

await tf.setBackend('cpu');

/** n samples of shape [2, 2, 3] whose every value encodes the sample index (row i holds i*100 + k). */
function indexed(n: number): ArraySource {
  const values = Float32Array.from({ length: n * 12 }, (_, j) => Math.floor(j / 12) * 100 + (j % 12));
  return new ArraySource(values, [2, 2, 3], Int32Array.from({ length: n }, (_, i) => i % 3));
}

test.serial('batches follow the given order (rows and labels together) and cover every sample once', async (t) => {
  const source = indexed(7);
  const order = Int32Array.from([5, 0, 6, 2, 1, 4, 3]);
  const seen: number[] = [];
  const sizes: number[] = [];
  for await (const batch of source.batches(3, order)) {
    t.deepEqual(batch.xs.shape.slice(1), [2, 2, 3]);
    const rows = (await batch.xs.data()) as Float32Array;
    batch.xs.dispose();
    sizes.push(batch.labels.length);
    for (let r = 0; r < batch.labels.length; r++) {
      const index = rows[r * 12]! / 100;
      t.is(rows[r * 12 + 11], index * 100 + 11);
      t.is(batch.labels[r], index % 3);
      seen.push(index);
    }
  }
  t.deepEqual(seen, [...order]);
  t.deepEqual(sizes, [3, 3, 1]);
});

test.serial('batches in source order when no order is given; toTensor round-trips', async (t) => {
  const source = indexed(5);
  const firsts: number[] = [];
  for await (const batch of source.batches(2, null)) {
    firsts.push(...Array.from({ length: batch.labels.length }, (_, r) => (batch.xs.dataSync()[r * 12] as number) / 100));
    batch.xs.dispose();
  }
  t.deepEqual(firsts, [0, 1, 2, 3, 4]);
  const all = source.toTensor();
  t.deepEqual(all.shape, [5, 2, 2, 3]);
  t.deepEqual(await all.data(), source.values);
  const back = await ArraySource.fromTensor(all, source.labels);
  t.deepEqual(back.values, source.values);
  all.dispose();
});

test.serial('a source whose values do not match its labels is refused', (t) => {
  t.throws(() => new ArraySource(new Float32Array(10), [2, 2], new Int32Array(3)), { message: /rows of \[2, 2\] but there are 3 labels/ });
});

/** Random 3x3x4 "features" whose channel means separate two classes. */
function features(n: number, seed: string): ArraySource {
  const rng = createRng(seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const values = Float32Array.from({ length: n * 36 }, (_, j) => (labels[Math.floor(j / 36)]! ? 1 : -1) * ((j % 4) - 1.5) + (rng() - 0.5) * 2);
  return new ArraySource(values, [3, 3, 4], labels);
}

function head(withGap: boolean): { model: tf.LayersModel; gap?: tf.layers.Layer } {
  const input = tf.input({ shape: withGap ? [3, 3, 4] : [4] });
  const gap = withGap ? tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }) : undefined;
  let x = gap ? (gap.apply(input) as tf.SymbolicTensor) : input;
  x = tf.layers.dense({ name: 'dense', units: 6, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ name: 'dropout', rate: 0.3 }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'predictions', units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(x);
  return { model: tf.model({ inputs: input, outputs: out as tf.SymbolicTensor }), gap };
}

test.serial('the head GAP runs once per phase, and training matches training on pre-pooled features', async (t) => {
  const train = features(20, 'train');
  const val = features(8, 'val');
  const { model, gap } = head(true);
  let gapCalls = 0;
  const call = gap!.call.bind(gap!);
  gap!.call = (inputs, kwargs) => (gapCalls++, call(inputs, kwargs));
  const args = { numClasses: 2, epochs: 4, batchSize: 6, optimizer: { name: 'adam', lr: 0.01, momentum: 0 }, trainable: new Set(['global_average_pooling2d', 'dense', 'dropout', 'predictions']) } as const;
  const numTensors = tf.memory().numTensors;
  await fit({ ...args, trainer: model, train, val, random: createRng('fit') });
  t.is(tf.memory().numTensors, numTensors);
  // One pass over train (4 batches) and val (2 batches) at the start of the phase, not per epoch.
  t.is(gapCalls, 4 + 2);

  // The same training on features pooled up front gives the same weights (same seeds, same order).
  const pool = async (s: ArraySource): Promise<ArraySource> => {
    const pooled = tf.tidy(() => tf.mean(s.toTensor(), [1, 2]));
    const out = await ArraySource.fromTensor(pooled, s.labels);
    pooled.dispose();
    return out;
  };
  const plain = head(false).model;
  await fit({ ...args, trainer: plain, train: await pool(train), val: await pool(val), random: createRng('fit'), trainable: new Set(['dense', 'dropout', 'predictions']) });
  const a = model.getWeights().map((w) => w.dataSync());
  const b = plain.getWeights().map((w) => w.dataSync());
  t.is(a.length, b.length);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i]!.length; j++) t.true(Math.abs(a[i]![j]! - b[i]![j]!) < 1e-5);
  model.dispose();
  plain.dispose();
});

import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../src/data/random.ts';
import { ArraySource } from '../src/training/batch-source.ts';
import { EarlyStopping, HistoryRecorder, ModelCheckpoint, ReduceLROnPlateau, type Callback, type EpochLogs } from '../src/training/callbacks.ts';
import { balancedClassWeights } from '../src/training/class-weights.ts';
import { fit, type FitArgs } from '../src/training/fit.ts';
import { snapshotWeights } from '../src/training/weights-snapshot.ts';

await tf.setBackend('cpu');

/** Two Gaussian blobs in 4-D; `flip` mislabels that many samples (makes val_loss rise as confidence grows). */
function blobs(n: number, seed: string, flip = 0, ratio = 0.5): ArraySource {
  const rng = createRng(seed);
  const xs = new Float32Array(n * 4);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i < n * ratio ? 0 : 1;
    for (let d = 0; d < 4; d++) xs[i * 4 + d] = (label === 0 ? -1 : 1) + (rng() - 0.5) * 1.5;
    labels[i] = i < flip ? 1 - label : label;
  }
  return new ArraySource(xs, [4], labels);
}

function tinyNet(withBatchNorm = false): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  let x = tf.layers.dense({ name: 'dense', units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  if (withBatchNorm) x = tf.layers.batchNormalization({ name: 'batch_normalization' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'predictions', units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(x);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

/** Captures the weights at the end of every epoch (placed before callbacks that restore weights). */
class EpochWeights implements Callback {
  readonly byEpoch = new Map<number, Float32Array[]>();
  onEpochEnd(logs: EpochLogs, ctx: { trainer: tf.LayersModel }): void {
    this.byEpoch.set(logs.epoch, snapshotWeights(ctx.trainer));
  }
}

function args(trainer: tf.LayersModel, train: ArraySource, val: ArraySource, extra: Partial<FitArgs>): FitArgs {
  return {
    trainer, train, val, numClasses: 2, epochs: 20, batchSize: 8,
    optimizer: { name: 'sgd', lr: 0.5, momentum: 0 },
    trainable: new Set(['dense', 'predictions', 'batch_normalization']),
    random: createRng('fit'), ...extra,
  };
}

const argmin = (v: number[]): number => v.indexOf(Math.min(...v));

test.serial('checkpoint writes the lowest-val_loss epoch and restores it', async (t) => {
  const net = tinyNet();
  const [train, val] = [blobs(40, 'train'), blobs(20, 'val', 4)];
  const written: number[] = [];
  const perEpoch = new EpochWeights();
  const ckpt: ModelCheckpoint = new ModelCheckpoint({ write: async () => { written.push(ckpt.bestEpoch); } });
  const history = new HistoryRecorder();
  await fit(args(net, train, val, { callbacks: [perEpoch, history, ckpt] }));
  const losses = history.history.map((h) => h.val_loss);
  const best = argmin(losses);
  t.true(best < losses.length - 1, 'precondition: val_loss rises after its minimum');
  t.is(ckpt.bestEpoch, best);
  t.is(written.at(-1), best);
  t.true(ckpt.restoreBest(net));
  t.deepEqual(snapshotWeights(net), perEpoch.byEpoch.get(best));
  train.dispose();
  val.dispose();
  net.dispose();
});

test.serial('early stopping stops after `patience` bad epochs and restores the best weights', async (t) => {
  const net = tinyNet();
  const [train, val] = [blobs(40, 'train'), blobs(20, 'val', 4)];
  const perEpoch = new EpochWeights();
  const history = new HistoryRecorder();
  const stop = new EarlyStopping({ patience: 3 });
  const result = await fit(args(net, train, val, { epochs: 40, callbacks: [perEpoch, history, stop] }));
  const losses = history.history.map((h) => h.val_loss);
  const best = argmin(losses);
  t.true(result.stoppedEarly);
  t.is(losses.length, best + 4);
  t.is(stop.stoppedEpoch, best + 3);
  t.deepEqual(snapshotWeights(net), perEpoch.byEpoch.get(best));
  train.dispose();
  val.dispose();
  net.dispose();
});

test.serial('reduce-LR-on-plateau multiplies the rate by `factor` after `patience` epochs without improvement', async (t) => {
  const net = tinyNet();
  const [train, val] = [blobs(40, 'train'), blobs(20, 'val', 4)];
  const history = new HistoryRecorder();
  await fit(args(net, train, val, { epochs: 15, callbacks: [history, new ReduceLROnPlateau({ factor: 0.5, patience: 2 })] }));
  let best = Infinity;
  let wait = 0;
  let lr = 0.5;
  for (const h of history.history) {
    t.is(h.lr, lr, `epoch ${h.epoch}`);
    if (h.val_loss < best) [best, wait] = [h.val_loss, 0];
    else if (++wait >= 2) [lr, wait] = [lr * 0.5, 0];
  }
  t.true(history.history.some((h) => h.lr < 0.5), 'precondition: a plateau happened');
  train.dispose();
  val.dispose();
  net.dispose();
});

test.serial('balanced class weights follow sklearn and lift the minority class recall', async (t) => {
  t.deepEqual(balancedClassWeights([0, 0, 0, 1], 2), [4 / 6, 2]);
  t.deepEqual(balancedClassWeights([0, 0, 2], 3), [0.5, 0, 1]);
  const recall1 = async (weights?: number[]): Promise<number> => {
    const net = tinyNet();
    // Heavily overlapping blobs, 90% class 0: unweighted training favours class 0.
    const train = blobs(100, 'imbalanced', 0, 0.9);
    const scaled = new ArraySource(train.values.map((v) => v * 0.15), [4], train.labels);
    await fit(args(net, scaled, scaled, { epochs: 10, optimizer: { name: 'sgd', lr: 0.2, momentum: 0 }, classWeights: weights }));
    const pred = tf.tidy(() => (net.predict(scaled.toTensor()) as tf.Tensor).argMax(-1).dataSync());
    let hit = 0;
    for (let i = 90; i < 100; i++) hit += pred[i] === 1 ? 1 : 0;
    train.dispose();
    scaled.dispose();
    net.dispose();
    return hit / 10;
  };
  const labels = blobs(100, 'imbalanced', 0, 0.9);
  const weights = balancedClassWeights(labels.labels, 2);
  labels.dispose();
  t.true((await recall1(weights)) > (await recall1()));
});

test.serial('a frozen BatchNormalization keeps its statistics; a trainable one updates them', async (t) => {
  const movingMean = (net: tf.LayersModel): Float32Array => net.getLayer('batch_normalization').getWeights()[2]!.dataSync() as Float32Array;
  const [train, val] = [blobs(40, 'train'), blobs(20, 'val')];
  const frozen = tinyNet(true);
  const before = movingMean(frozen).slice();
  await fit(args(frozen, train, val, { epochs: 2, trainable: new Set(['dense', 'predictions']) }));
  t.deepEqual(movingMean(frozen), before);
  t.false(frozen.getLayer('batch_normalization').trainable);
  const trained = tinyNet(true);
  await fit(args(trained, train, val, { epochs: 2 }));
  t.notDeepEqual(movingMean(trained), before);
  train.dispose();
  val.dispose();
  frozen.dispose();
  trained.dispose();
});

test.serial('fit leaks no tensors across epochs and calls', async (t) => {
  const net = tinyNet(true);
  const [train, val] = [blobs(40, 'train'), blobs(20, 'val')];
  const run = (epochs: number) => fit(args(net, train, val, { epochs, optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 }, callbacks: [new EarlyStopping({ patience: 100 }), new ReduceLROnPlateau({ factor: 0.5, patience: 1 })] }));
  await run(1);
  const after1 = tf.memory().numTensors;
  await run(5);
  t.is(tf.memory().numTensors, after1);
  await run(3);
  t.is(tf.memory().numTensors, after1);
  train.dispose();
  val.dispose();
  net.dispose();
});

test.serial('the same seed gives the same history; another seed differs', async (t) => {
  const run = async (seed: string): Promise<number[]> => {
    const net = tinyNet();
    const [train, val] = [blobs(40, 'train'), blobs(20, 'val')];
    const history = new HistoryRecorder();
    await fit(args(net, train, val, { epochs: 3, random: createRng(seed), callbacks: [history] }));
    train.dispose();
    val.dispose();
    net.dispose();
    return history.history.map((h) => h.loss);
  };
  t.deepEqual(await run('a'), await run('a'));
  t.notDeepEqual(await run('a'), await run('b'));
});

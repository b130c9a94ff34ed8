/**
 * Training through conv layers on wasm (needs our Conv2DBackpropFilter/Input): a small VGG-like
 * Sequential model (conv, relu, max-pool, dense, softmax) learns a separable toy task.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';

/** Class 0: bright left half; class 1: bright right half (plus fixed-seed noise). */
function toyData(n: number): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  return tf.tidy(() => {
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    const size = 12;
    const images = labels.map((label) => {
      const col = tf.range(0, size).reshape([1, size, 1]).tile([size, 1, 1]);
      const bright = label === 0 ? col.less(size / 2) : col.greaterEqual(size / 2);
      return bright.cast('float32').tile([1, 1, 2]);
    });
    const noise = tf.randomUniform([n, size, size, 2], -0.2, 0.2, 'float32', 7);
    return { xs: tf.stack(images).add(noise) as tf.Tensor4D, ys: tf.oneHot(labels, 2).cast('float32') as tf.Tensor2D };
  });
}

function vggLikeModel(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [12, 12, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
}

test.serial('model.fit trains conv layers on wasm: loss falls, weights change, no tensor leak', async (t) => {
  t.is((await initBackend('wasm')).name, 'wasm');
  const model = vggLikeModel();
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const { xs, ys } = toyData(16);
  const before = model.getWeights().map((w) => w.dataSync().slice());
  const losses: number[] = [];
  const tensorCounts: number[] = [];
  for (let epoch = 0; epoch < 6; epoch++) {
    const history = await model.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    losses.push(history.history.loss?.[0] as number);
    tensorCounts.push(tf.memory().numTensors);
  }
  t.true(losses.at(-1)! < losses[0]! * 0.9, `loss ${losses.join(' -> ')}`);
  const after = model.getWeights().map((w) => w.dataSync());
  // Every conv kernel must move: a missing gradient kernel would leave one frozen or throw.
  for (const [i, w] of before.entries()) t.true(w.some((v, j) => v !== after[i]![j]), `weight ${model.weights[i]!.name} changed`);
  // The first epoch creates the optimizer's slots; after that the count must be flat.
  t.deepEqual(tensorCounts.slice(1), tensorCounts.slice(1).map(() => tensorCounts[1]));
  tf.dispose([xs, ys]);
  model.dispose();
});

test.serial('optimizer.minimize steps match the cpu backend', async (t) => {
  const run = async (backend: 'wasm' | 'cpu'): Promise<Float32Array> => {
    if (backend === 'wasm') await initBackend('wasm');
    else await tf.setBackend('cpu');
    const model = vggLikeModel();
    const optimizer = tf.train.sgd(0.1);
    const { xs, ys } = toyData(6);
    for (let step = 0; step < 3; step++) {
      tf.dispose(optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs) as tf.Tensor), true) ?? []);
    }
    const weights = model.getWeights()[0]!.dataSync() as Float32Array;
    tf.dispose([xs, ys]);
    optimizer.dispose();
    model.dispose();
    return weights;
  };
  const reference = await run('cpu');
  const ours = await run('wasm');
  const scale = Math.max(...reference.map(Math.abs));
  const worst = Math.max(...ours.map((v, i) => Math.abs(v - reference[i]!)));
  t.true(worst / scale <= 1e-4, `first conv kernel after 3 SGD steps differs by ${worst / scale} (relative)`);
});

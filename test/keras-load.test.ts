import test from 'ava';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';
import { loadWeights, modelWeights, readKerasFile, writeLegacyWeights, type LayerWeights } from '../src/keras/index.ts';
import { UserError } from '../src/errors.ts';
import { values, writeKeras3Fixture, writeLegacyFixture } from './keras-fixtures.ts';
import { tempDir } from './helpers/temp-dir.ts';

await initBackend('cpu');
const dir = await tempDir('tk-keras-');
let n = 0;
const tmp = (name: string) => join(dir, `${n++}-${name}`);

interface NetOptions {
  prefix?: string;
  filters?: number;
  units?: number;
  extraDense?: boolean;
}

/** conv (3x3) → batchnorm → flatten → dense, on 5x5x3 inputs; names and sizes configurable. */
function net({ prefix = '', filters = 2, units = 3, extraDense = false }: NetOptions = {}): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ name: `${prefix}c1`, inputShape: [5, 5, 3], filters, kernelSize: 3, biasInitializer: 'randomNormal' }));
  model.add(tf.layers.batchNormalization({ name: `${prefix}bn`, movingMeanInitializer: 'randomUniform', movingVarianceInitializer: 'ones' }));
  model.add(tf.layers.flatten({ name: `${prefix}flat` }));
  model.add(tf.layers.dense({ name: `${prefix}fc`, units }));
  if (extraDense) model.add(tf.layers.dense({ name: `${prefix}fc2`, units: 2 }));
  return model;
}

/** A layer's values in Keras order, as plain arrays. */
const layerValues = (layer: tf.layers.Layer) => layer.getWeights().map((w) => Array.from(w.dataSync()));

async function savedNet(): Promise<{ model: tf.Sequential; path: string }> {
  const model = net();
  const path = tmp('net.h5');
  await writeLegacyWeights(path, modelWeights(model));
  return { model, path };
}

test.serial('modelWeights lists every layer in Keras order with Keras weight names', (t) => {
  const model = net();
  const weights = modelWeights(model);
  t.deepEqual(
    weights.map((l) => [l.name, l.weights.map((w) => `${w.name} ${w.shape.join('x')}`)]),
    [
      ['c1', ['c1/kernel:0 3x3x3x2', 'c1/bias:0 2']],
      ['bn', ['bn/gamma:0 2', 'bn/beta:0 2', 'bn/moving_mean:0 2', 'bn/moving_variance:0 2']],
      ['flat', []],
      ['fc', ['fc/kernel:0 18x3', 'fc/bias:0 3']],
    ],
  );
  t.deepEqual(Array.from(weights[1]!.weights[2]!.data), Array.from(model.getLayer('bn').getWeights()[2]!.dataSync()));
  model.dispose();
});

test.serial('by position: weights land in a differently named model of the same architecture; predictions match', async (t) => {
  const { model, path } = await savedNet();
  const target = net({ prefix: 'other_' });
  const report = await loadWeights(target, path);
  t.deepEqual(report.loaded.map((l) => [l.layer, l.from]), [['other_c1', 'c1'], ['other_bn', 'bn'], ['other_fc', 'fc']]);
  t.deepEqual(report.skipped, []);
  for (const name of ['c1', 'bn', 'fc']) t.deepEqual(layerValues(target.getLayer(`other_${name}`)), layerValues(model.getLayer(name)));
  const x = tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 7);
  const [a, b] = [model.predict(x) as tf.Tensor, target.predict(x) as tf.Tensor];
  t.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  tf.dispose([x, a, b]);
  model.dispose();
  target.dispose();
});

test.serial('by position: different counts of weighted layers is an error naming both counts and the file', async (t) => {
  const { model, path } = await savedNet();
  const target = net({ extraDense: true });
  const err = await t.throwsAsync(loadWeights(target, path), { instanceOf: UserError });
  t.true(err.message.startsWith(path), err.message);
  t.regex(err.message, /file has 3 layers with weights but the model has 4/);
  model.dispose();
  target.dispose();
});

test.serial('shape mismatch names the file, the layer, the expected and found shapes; the model is left unchanged', async (t) => {
  const { model, path } = await savedNet();
  const target = net({ filters: 4 });
  const before = target.layers.map(layerValues);
  const err = await t.throwsAsync(loadWeights(target, path), { instanceOf: UserError });
  t.true(err.message.startsWith(path), err.message);
  t.regex(err.message, /layer 'c1'/);
  t.regex(err.message, /expects shape \[3, 3, 3, 4\] but file layer 'c1' has \[3, 3, 3, 2\]/);
  t.deepEqual(target.layers.map(layerValues), before);
  model.dispose();
  target.dispose();
});

test.serial('byName: matching layers load, file layers absent from the model are reported, others untouched', async (t) => {
  const { model, path } = await savedNet();
  const target = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: 'c1', inputShape: [5, 5, 3], filters: 2, kernelSize: 3 }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ name: 'head', units: 4 }),
    ],
  });
  const headBefore = layerValues(target.getLayer('head'));
  const report = await loadWeights(target, path, { byName: true });
  t.deepEqual(report.loaded.map((l) => l.layer), ['c1']);
  t.deepEqual(report.skipped.map((s) => s.layer).sort(), ['bn', 'fc']);
  t.deepEqual(layerValues(target.getLayer('c1')), layerValues(model.getLayer('c1')));
  t.deepEqual(layerValues(target.getLayer('head')), headBefore);
  model.dispose();
  target.dispose();
});

test.serial('byName + skipMismatch: layers with other shapes are skipped and reported, the rest load', async (t) => {
  const { model, path } = await savedNet();
  const target = net({ units: 5 });
  const fcBefore = layerValues(target.getLayer('fc'));
  const strict = await t.throwsAsync(loadWeights(target, path, { byName: true }), { instanceOf: UserError });
  t.regex(strict.message, /layer 'fc'.*\[18, 5\].*\[18, 3\]/);
  const report = await loadWeights(target, path, { byName: true, skipMismatch: true });
  t.deepEqual(report.loaded.map((l) => l.layer), ['c1', 'bn']);
  t.deepEqual(report.skipped.map((s) => s.layer), ['fc']);
  t.regex(report.skipped[0]!.reason, /\[18, 5\].*\[18, 3\]/);
  t.deepEqual(layerValues(target.getLayer('fc')), fcBefore);
  t.deepEqual(layerValues(target.getLayer('bn')), layerValues(model.getLayer('bn')));
  model.dispose();
  target.dispose();
});

test.serial('skipMismatch without byName is refused, as in Keras', async (t) => {
  const { model, path } = await savedNet();
  await t.throwsAsync(loadWeights(model, path, { skipMismatch: true }), { instanceOf: UserError, message: /only .* with byName/ });
  model.dispose();
});

/** input → [nested Sequential: dense → batchnorm] → dense, as a functional model. */
function nestedNet(prefix = ''): tf.LayersModel {
  const inner = tf.sequential({
    name: `${prefix}inner`,
    layers: [tf.layers.dense({ name: `${prefix}d1`, inputShape: [4], units: 3, biasInitializer: 'randomNormal' }), tf.layers.batchNormalization({ name: `${prefix}ibn`, movingMeanInitializer: 'randomUniform' })],
  });
  const input = tf.input({ shape: [4], name: `${prefix}x` });
  const out = tf.layers.dense({ name: `${prefix}out`, units: 2 }).apply(inner.apply(input)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

test.serial('a nested model is saved as one layer (Keras 2 save_weights) and loads back by position', async (t) => {
  const model = nestedNet();
  const weights = modelWeights(model);
  const inner = weights.find((l) => l.name === 'inner')!;
  t.deepEqual(inner.weights.map((w) => w.name), ['d1/kernel:0', 'd1/bias:0', 'ibn/gamma:0', 'ibn/beta:0', 'ibn/moving_mean:0', 'ibn/moving_variance:0']);
  const path = tmp('nested.h5');
  await writeLegacyWeights(path, weights);
  const target = nestedNet('t_');
  await loadWeights(target, path);
  t.deepEqual(layerValues(target.getLayer('t_inner')), layerValues(model.getLayer('inner')));
  t.deepEqual(layerValues(target.getLayer('t_out')), layerValues(model.getLayer('out')));
  model.dispose();
  target.dispose();
});

test.serial('a Keras 3 weights file (class-based paths) loads into the layers of a nested model', async (t) => {
  const path = tmp('k3.weights.h5');
  const tensors = {
    d1: [values(12, 1), values(3, 2)],
    ibn: [values(3, 3), values(3, 4), values(3, 5), Float32Array.of(1, 2, 3)],
    out: [values(6, 6), values(2, 7)],
  };
  const vars = (list: Float32Array[], shapes: number[][]) => list.map((data, i) => ({ name: String(i), shape: shapes[i]!, data }));
  // Keras 3 paths come from classes and positions: input_layer, sequential/{dense,batch_normalization}, dense.
  await writeKeras3Fixture(path, {
    input_layer: {},
    sequential: {
      layers: { dense: { vars: vars(tensors.d1, [[4, 3], [3]]) }, batch_normalization: { vars: vars(tensors.ibn, [[3], [3], [3], [3]]) } },
    },
    dense: { vars: vars(tensors.out, [[3, 2], [2]]) },
  });
  const model = nestedNet();
  const report = await loadWeights(model, path);
  t.deepEqual(report.loaded.map((l) => l.layer).sort(), ['d1', 'ibn', 'out']);
  const inner = model.getLayer('inner') as tf.LayersModel;
  t.deepEqual(layerValues(inner.getLayer('ibn')), tensors.ibn.map((a) => Array.from(a)));
  t.deepEqual(layerValues(model.getLayer('out')), tensors.out.map((a) => Array.from(a)));

  const other = tf.sequential({ layers: [tf.layers.dense({ name: 'unrelated', inputShape: [3], units: 2 })] });
  const err = await t.throwsAsync(loadWeights(other, path), { instanceOf: UserError });
  t.regex(err.message, /layer 'layers\/sequential\/layers\/\w+' of the file is not in the model/);
  model.dispose();
  other.dispose();
});

/** The Keras 1 theano layout of a channels-last kernel: (out, in, kh, kw), spatially flipped. */
function theanoKernel(kernel: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let h = 0; h < kh!; h++)
    for (let w = 0; w < kw!; w++)
      for (let i = 0; i < cin!; i++)
        for (let o = 0; o < cout!; o++) {
          const from = ((h * kw! + w) * cin! + i) * cout! + o;
          const to = ((o * cin! + i) * kh! + (kh! - 1 - h)) * kw! + (kw! - 1 - w);
          out[to] = kernel[from]!;
        }
  return out;
}

test.serial('Keras 1 theano conv kernels are transposed and flipped as Keras 2 does', async (t) => {
  const model = net();
  const saved = modelWeights(model);
  const conv = saved[0]!;
  const kernel = conv.weights[0]!;
  const layers: LayerWeights[] = saved.map((l) => l);
  layers[0] = {
    name: 'c1',
    weights: [
      { name: 'c1_W', shape: [2, 3, 3, 3], data: theanoKernel(kernel.data, kernel.shape) },
      { name: 'c1_b', shape: [2], data: conv.weights[1]!.data },
    ],
  };
  const path = tmp('theano-k1.h5');
  // Keras 1 wrote no keras_version; its theano backend is in `backend`.
  await writeLegacyFixture(path, { layers, backend: 'theano' });
  // The Dense after Flatten must be refused for theano (flatten order unknown), so load by name without it.
  const target = tf.sequential({
    layers: [tf.layers.conv2d({ name: 'c1', inputShape: [5, 5, 3], filters: 2, kernelSize: 3 }), tf.layers.batchNormalization({ name: 'bn' })],
  });
  await loadWeights(target, path, { byName: true });
  t.deepEqual(Array.from(target.getLayer('c1').getWeights()[0]!.dataSync()), Array.from(kernel.data));
  model.dispose();
  target.dispose();
});

test.serial('Keras 2 theano file: channels-last kernels are only flipped; a Dense after Flatten is refused', async (t) => {
  const model = net();
  const saved = modelWeights(model);
  const kernel = saved[0]!.weights[0]!;
  const flipped = theanoKernel(kernel.data, kernel.shape);
  // Back to (kh, kw, in, out) order but still flipped: what a Keras 2 theano save holds.
  const hwio = new Float32Array(flipped.length);
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  for (let h = 0; h < kh; h++)
    for (let w = 0; w < kw; w++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) hwio[((h * kw + w) * cin + i) * cout + o] = flipped[((o * cin + i) * kh + h) * kw + w]!;
  saved[0] = { name: 'c1', weights: [{ ...kernel, data: hwio }, saved[0]!.weights[1]!] };
  const path = tmp('theano-k2.h5');
  await writeLegacyFixture(path, { layers: saved, kerasVersion: '2.0.5', backend: 'theano' });

  const target = net();
  const err = await t.throwsAsync(loadWeights(target, path), { instanceOf: UserError });
  t.regex(err.message, /layer 'fc' is a Dense after Flatten of a 3x3x2 feature map.*theano/);
  const convOnly = tf.sequential({ layers: [tf.layers.conv2d({ name: 'c1', inputShape: [5, 5, 3], filters: 2, kernelSize: 3 })] });
  await loadWeights(convOnly, path, { byName: true });
  t.deepEqual(Array.from(convOnly.getLayer('c1').getWeights()[0]!.dataSync()), Array.from(kernel.data));
  model.dispose();
  target.dispose();
  convOnly.dispose();
});

// Serial: tests in a file share one tfjs engine, so counts are only meaningful with nothing else running.
test.serial('repeated loads and modelWeights do not leak tensors', async (t) => {
  const { model, path } = await savedNet();
  const file = await readKerasFile(path);
  const target = net({ prefix: 'x_' });
  await loadWeights(target, file);
  modelWeights(target);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await loadWeights(target, file);
    await loadWeights(target, path, { byName: true, skipMismatch: true });
    modelWeights(target);
  }
  t.is(tf.memory().numTensors, before);
  model.dispose();
  target.dispose();
});

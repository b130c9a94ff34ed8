// The other direction: Keras loads what we write (checkpoint weights, full-model .h5) and predicts as we do.
import * as tf from '@tensorflow/tfjs';
import test from 'ava';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.ts';
import { loadKerasModel, modelWeights, saveKerasModel, writeLegacyWeights } from '../../src/index.ts';
import { vgg16 } from '../../src/models/vgg16.ts';
import { closeToKeras, FIXTURES, fixtures, kerasPredict, readF32, stopKeras } from './oracle.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const all = await fixtures();
let dir: string;

test.before(async () => {
  await initBackend('wasm');
  dir = await tempDir('transferkit-reverse-');
});
test.after.always(async () => {
  await stopKeras();
  await rm(dir, { recursive: true, force: true });
});

function ourPrediction(model: tf.LayersModel, input: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(input, shape)) as tf.Tensor).dataSync() as Float32Array);
}

/** A model built here, not loaded from Keras, with non-trivial BatchNorm statistics. */
function freshModel(): tf.LayersModel {
  const model = tf.sequential({ name: 'ours' });
  model.add(tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'c1' }));
  model.add(tf.layers.batchNormalization({ name: 'bn' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
  model.add(tf.layers.flatten({ name: 'flat' }));
  model.add(tf.layers.dropout({ rate: 0.3, name: 'drop' }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
  const bn = model.getLayer('bn');
  bn.setWeights(tf.tidy(() => [tf.randomUniform([4], 0.5, 1.5, 'float32', 1), tf.randomNormal([4], 0, 0.3, 'float32', 2), tf.randomNormal([4], 0.5, 0.5, 'float32', 3), tf.randomUniform([4], 0.5, 2, 'float32', 4)]));
  return model;
}

const smallInput = all.find((f) => f.arch === 'seq_cnn')!.input;

test('saveKerasModel: tf-keras and Keras 3 load_model reproduce a model built here', async (t) => {
  const model = freshModel();
  const path = join(dir, 'ours.h5');
  await saveKerasModel(model, path);
  const x = readF32(smallInput.file);
  const ours = ourPrediction(model, x, smallInput.shape);
  for (const framework of ['tf_keras', 'keras'] as const) {
    const r = closeToKeras(ours, await kerasPredict({ model: path, framework, input: x, shape: smallInput.shape }));
    t.true(r.ok, `${framework}: max abs error ${r.maxErr} exceeds ${r.tol}`);
  }
  model.dispose();
});

for (const fx of all.filter((f) => f.arch !== 'vgg16' && f.format === 'keras-archive')) {
  test(`saveKerasModel of ${fx.file} (Keras 3) loads in tf-keras${fx.arch === 'nested_cnn' ? '' : ' and Keras 3'}`, async (t) => {
    const model = await loadKerasModel(join(FIXTURES, fx.file));
    const path = join(dir, `${fx.arch}.h5`);
    await saveKerasModel(model, path);
    const x = readF32(fx.input.file);
    const ours = ourPrediction(model, x, fx.input.shape);
    // Keras 3 cannot load any Keras 2 nested-model .h5, tf-keras's own included (node index 1).
    const frameworks = fx.arch === 'nested_cnn' ? (['tf_keras'] as const) : (['tf_keras', 'keras'] as const);
    for (const framework of frameworks) {
      const r = closeToKeras(ours, await kerasPredict({ model: path, framework, input: x, shape: fx.input.shape }));
      t.true(r.ok, `${framework}: max abs error ${r.maxErr} exceeds ${r.tol}`);
    }
    model.dispose();
  });
}

test('writeLegacyWeights (our checkpoint format): Keras VGG16 load_weights reproduces our conv base', async (t) => {
  const model = await vgg16({ includeTop: false });
  const path = join(dir, 'vgg16_notop_ours.h5');
  await writeLegacyWeights(path, modelWeights(model));
  const input = all.find((f) => f.arch === 'vgg16')!.input;
  const x = readF32(input.file);
  const ours = ourPrediction(model, x, input.shape);
  for (const framework of ['tf_keras', 'keras'] as const) {
    const r = closeToKeras(ours, await kerasPredict({ arch: 'vgg16_notop', weights: path, framework, input: x, shape: input.shape }));
    t.true(r.ok, `${framework}: max abs error ${r.maxErr} exceeds ${r.tol}`);
  }
  model.dispose();
});

test('writeLegacyWeights of a Functional model with BatchNorm: Keras load_weights into its architecture', async (t) => {
  const fx = all.find((f) => f.file === 'func_cnn.tfkeras.h5')!;
  const model = await loadKerasModel(join(FIXTURES, fx.file));
  // New weights, so Keras can only reproduce us by reading our file.
  model.setWeights(tf.tidy(() => model.getWeights().map((w, i) => tf.add(w, tf.randomUniform(w.shape, 0.05, 0.2, 'float32', i)))));
  const path = join(dir, 'func_ours.h5');
  await writeLegacyWeights(path, modelWeights(model));
  const x = readF32(fx.input.file);
  const ours = ourPrediction(model, x, fx.input.shape);
  t.false(closeToKeras(ours, readF32(fx.output.file)).ok, 'perturbed weights must change the output');
  const r = closeToKeras(ours, await kerasPredict({ model: join(FIXTURES, fx.file), weights: path, input: x, shape: fx.input.shape }));
  t.true(r.ok, `max abs error ${r.maxErr} exceeds ${r.tol}`);
  model.dispose();
});

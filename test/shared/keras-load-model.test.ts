// loadKerasModel / modelFromKerasConfig on the real Keras 2.x files in ../shared/keras-h5.
import * as tf from '@tensorflow/tfjs';
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/backend/index.ts';
import { loadKerasModel, loadWeights, modelFromKerasConfig, readKerasFile } from '../../src/index.ts';
import { runOnZeros } from '../../src/keras/load-model.ts';

const H5 = join(resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared'), 'keras-h5');

test.before(async () => {
  await initBackend('wasm');
});

const fullModels: [string, number[]][] = [
  ['iris_model_keras2.1.1.h5', [1, 3]],
  ['xor_keras2.2.4.h5', [1, 1]],
  ['xor_keras2.2.4-tf.h5', [1, 1]],
  ['mnist_cnn_keras2.4.0.h5', [1, 10]],
];

for (const [name, outShape] of fullModels) {
  test(`${name}: builds, holds the file's weights exactly, runs on zeros`, async (t) => {
    const model = await loadKerasModel(join(H5, name));
    const file = await readKerasFile(join(H5, name));
    const stored = file.layers.flatMap((l) => l.weights.map((w) => w.data));
    const ours = model.layers.flatMap((l) => [...l.trainableWeights, ...l.nonTrainableWeights].map((v) => v.read().dataSync()));
    t.deepEqual(ours, stored);
    t.deepEqual(runOnZeros(model), [outShape]);
    model.dispose();
  });
}

test('xor models compute xor', async (t) => {
  for (const name of ['xor_keras2.2.4.h5', 'xor_keras2.2.4-tf.h5']) {
    const model = await loadKerasModel(join(H5, name));
    const y = tf.tidy(() => (model.predict(tf.tensor2d([0, 0, 0, 1, 1, 0, 1, 1], [4, 2])) as tf.Tensor).dataSync());
    t.deepEqual(Array.from(y, (v) => Math.round(v)), [0, 1, 1, 0], name);
    model.dispose();
  }
});

test('Keras 2.0 architecture JSON + save_weights file: modelFromKerasConfig then loadWeights', async (t) => {
  for (const stem of ['KERAS_3layer', 'KERAS_3layer_batch_norm', 'KERAS_conv2d_model']) {
    const json = JSON.parse(readFileSync(join(H5, `${stem}.json`), 'utf8'));
    const model = modelFromKerasConfig(json, { source: `${stem}.json` });
    const report = await loadWeights(model, join(H5, `${stem}_weights.h5`));
    t.true(report.loaded.length > 0, stem);
    t.true(runOnZeros(model)[0]!.every((d) => d > 0), stem);
    model.dispose();
  }
});

test('a weights-only file is refused by loadKerasModel with the way forward', async (t) => {
  await t.throwsAsync(loadKerasModel(join(H5, 'vgg16_bottleneck_head_keras2.2.4.h5')), { message: /weights-only.*loadWeights/ });
});

// Every small full-model fixture (tf-keras .h5, Keras 3 .h5 and .keras) through loadKerasModel vs Keras.
import * as tf from '@tensorflow/tfjs';
import test from 'ava';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.ts';
import { loadKerasModel } from '../../src/index.ts';
import { closeToKeras, FIXTURES, fixtures, modelWeightHashes, readF32 } from './oracle.ts';

const small = (await fixtures()).filter((f) => f.arch !== 'vgg16');

test.before(async () => {
  await initBackend('wasm');
});

test.serial('the oracle covers Sequential, Functional and nested models from tf-keras and Keras 3', (t) => {
  t.deepEqual(new Set(small.map((f) => f.arch)), new Set(['seq_cnn', 'func_cnn', 'nested_cnn']));
  t.deepEqual(new Set(small.map((f) => f.format)), new Set(['legacy-model', 'keras-archive']));
  t.true(small.some((f) => f.writer.startsWith('tf_keras')) && small.some((f) => f.writer.startsWith('keras ')));
});

for (const fx of small) {
  test.serial(`${fx.file} (${fx.writer}): same weights bit for bit, outputs within tolerance (inference mode)`, async (t) => {
    const model = await loadKerasModel(join(FIXTURES, fx.file));
    t.deepEqual(modelWeightHashes(model), fx.weights);
    const before = tf.memory().numTensors;
    const x = tf.tensor(readF32(fx.input.file), fx.input.shape);
    const y = model.predict(x) as tf.Tensor;
    t.deepEqual(y.shape, fx.output.shape);
    const r = closeToKeras(y.dataSync(), readF32(fx.output.file));
    t.true(r.ok, `max abs error ${r.maxErr} exceeds ${r.tol}`);
    tf.dispose([x, y]);
    t.is(tf.memory().numTensors, before);
    model.dispose();
  });
}

test.serial('loading and disposing a model leaves no tensors behind', async (t) => {
  const fx = small.find((f) => f.format === 'keras-archive')!;
  (await loadKerasModel(join(FIXTURES, fx.file))).dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) (await loadKerasModel(join(FIXTURES, fx.file))).dispose();
  t.is(tf.memory().numTensors, before);
});

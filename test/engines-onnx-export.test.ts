import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../src/errors.ts';
import { exportOnnx, layersModelToOnnx } from '../src/models/engines/layers-to-onnx.ts';
import { tempDir } from './helpers/temp-dir.ts';

/** Deterministic pseudo-random values in [-scale, scale]. */
function noise(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

/** Give every weight non-trivial values (random biases, BN statistics away from 0/1). */
function randomise(model: tf.LayersModel, seed: number): void {
  for (const [i, layer] of model.layers.entries()) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const fresh = ws.map((w, j) => {
      const v = noise(w.size, seed + i * 10 + j, 0.5);
      // moving variance must be positive
      if (layer.getClassName() === 'BatchNormalization' && j === 3) v.forEach((x, k) => (v[k] = Math.abs(x) + 0.5));
      return tf.tensor(v, w.shape);
    });
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
  const data = Float32Array.from(out.output!.data as Float32Array);
  await session.release();
  return data;
}

function assertClose(t: import('ava').ExecutionContext, actual: Float32Array, expected: Float32Array): void {
  t.is(actual.length, expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  t.true(worst <= 1e-4, `max scaled error ${worst}`);
}

test.before(async () => {
  await tf.setBackend('cpu');
});

test('a conv / pool / batch-norm / dense chain exports to ONNX and computes what tfjs computes', async (t) => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [13, 11, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 6, activation: 'tanh' }),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  randomise(model, 1);
  const x = noise(2 * 13 * 11 * 3, 7, 2);
  const expected = tf.tidy(() => (model.predict(tf.tensor4d(x, [2, 13, 11, 3])) as tf.Tensor).dataSync() as Float32Array);
  assertClose(t, await runOnnx(layersModelToOnnx(model), x, [2, 13, 11, 3]), expected);
  model.dispose();
});

test('global pooling heads and valid-padded convs export too; 4D outputs stay NHWC', async (t) => {
  for (const pool of ['avg', 'max', 'none'] as const) {
    const layers: tf.layers.Layer[] = [tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 3, kernelSize: [3, 2], padding: 'valid', activation: 'sigmoid' })];
    if (pool === 'avg') layers.push(tf.layers.globalAveragePooling2d({}), tf.layers.dense({ units: 2, useBias: false }));
    if (pool === 'max') layers.push(tf.layers.globalMaxPooling2d({}), tf.layers.dense({ units: 2 }));
    const model = tf.sequential({ layers });
    randomise(model, 3);
    const x = noise(3 * 9 * 9 * 2, 11);
    const expected = tf.tidy(() => (model.predict(tf.tensor4d(x, [3, 9, 9, 2])) as tf.Tensor).dataSync() as Float32Array);
    assertClose(t, await runOnnx(layersModelToOnnx(model), x, [3, 9, 9, 2]), expected);
    model.dispose();
  }
});

test('exportOnnx writes a file onnxruntime reads; unsupported layers are refused by name', async (t) => {
  const dir = await tempDir('tk-onnx-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2, activation: 'relu' })] });
  randomise(model, 5);
  const file = join(dir, 'm.onnx');
  await exportOnnx(model, file);
  const x = noise(4, 2);
  const expected = tf.tidy(() => (model.predict(tf.tensor2d(x, [1, 4])) as tf.Tensor).dataSync() as Float32Array);
  assertClose(t, await runOnnx(await readFile(file), x, [1, 4]), expected);
  model.dispose();

  const leaky = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 }), tf.layers.leakyReLU({ name: 'my_leaky' })] });
  const err = t.throws(() => layersModelToOnnx(leaky), { instanceOf: UserError });
  t.regex(err!.message, /my_leaky/);
  leaky.dispose();
});

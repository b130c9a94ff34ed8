import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../src/errors.ts';
import type { KerasFile } from '../src/keras/types.ts';
import { availableEngines, createEngine } from '../src/models/engines/index.ts';
import { cpuRunImages } from '../src/models/engines/onnx-engine.ts';
import { noise, randomVgg16 } from './helpers/vgg16-weights.ts';

const weights = randomVgg16();

/** Preprocessed-looking images: caffe-mode values around ±128. */
function images(n: number, size: number, seed: number): Float32Array {
  return noise(n * size * size * 3, seed, 128);
}

for (const [cut, size] of [['block5_pool', 64], ['block3_pool', 48], ['block4_conv2', 40]] as const) {
  test.serial(`onnx and tfjs agree on ${cut} at ${size}x${size}`, async (t) => {
    const onnx = await createEngine({ weights, cut, inputSize: size, engine: 'onnx' });
    const tfjs = await createEngine({ weights, cut, inputSize: size, engine: 'tfjs' });
    t.is(onnx.name, 'onnx');
    t.regex(tfjs.name, /^tfjs-/);
    t.deepEqual(onnx.outputShape, tfjs.outputShape);
    const n = 3;
    const x = images(n, size, 7);
    const [a, b] = [await onnx.run(x, n), await tfjs.run(x, n)];
    t.is(a.length, n * onnx.outputShape.reduce((p, q) => p * q, 1));
    let worst = 0;
    let maxAbs = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
      maxAbs = Math.max(maxAbs, Math.abs(b[i]!));
    }
    t.log(maxAbs, worst);
    t.true(maxAbs > 1, `features should be non-trivial (max ${maxAbs})`);
    t.true(worst <= 1e-4, `max scaled error ${worst}`);
    // A batch of one gives the same features as the same image inside a batch.
    const single = await onnx.run(x.subarray(0, size * size * 3), 1);
    t.deepEqual(single, a.subarray(0, single.length).map((v, i) => (Math.abs(v - single[i]!) <= 1e-4 * Math.max(1, Math.abs(v)) ? single[i]! : v)));
    await onnx.dispose();
    await tfjs.dispose();
  });
}

test.serial('the tfjs engine leaks no tensors across runs and frees its weights on dispose', async (t) => {
  const engine = await createEngine({ weights, cut: 'block2_pool', inputSize: 32, engine: 'tfjs' });
  const x = images(2, 32, 3);
  await engine.run(x, 2);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await engine.run(x, 2);
  t.is(tf.memory().numTensors, before);
  await engine.dispose();
  t.true(tf.memory().numTensors < before);
});

test.serial('features are NHWC at the cut: block1_pool output shape and auto picks onnx here', async (t) => {
  const engine = await createEngine({ weights, cut: 'block1_pool', inputSize: 36 });
  t.deepEqual([...engine.outputShape], [18, 18, 64]);
  t.is(engine.engine, 'onnx');
  await engine.dispose();
  const engines = await availableEngines();
  t.deepEqual(engines.map((e) => [e.engine, e.available]), [['onnx', true], ['tfjs', true]]);
});

test.serial('a cut that is not a VGG16 layer, or weights without the layer, fail with a UserError naming it', async (t) => {
  await t.throwsAsync(createEngine({ weights, cut: 'block9_pool', inputSize: 32, engine: 'onnx' }), { instanceOf: UserError, message: /block9_pool/ });
  const partial: KerasFile = { ...weights, layers: weights.layers.filter((l) => l.name !== 'block2_conv1') };
  await t.throwsAsync(createEngine({ weights: partial, cut: 'block3_pool', inputSize: 32, engine: 'onnx' }), { message: /block2_conv1/ });
});

test.serial('the onnx engine splits a batch over its activation budget into runs and returns every image in order', async (t) => {
  const size = 224;
  const engine = await createEngine({ weights, cut: 'block1_pool', inputSize: size, engine: 'onnx' });
  const n = cpuRunImages(size) * 2 + 1;
  t.true(n > cpuRunImages(size));
  const x = images(n, size, 11);
  const together = await engine.run(x, n);
  const per = together.length / n;
  t.is(per, 112 * 112 * 64);
  for (let i = 0; i < n; i++) t.deepEqual(await engine.run(x.subarray(i * size * size * 3), 1), together.subarray(i * per, (i + 1) * per), `image ${i}`);
  await engine.dispose();
});

import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';
import { canvasToPng } from '../src/interpret/compose.ts';
import { filterMeans, maximizeCanvas, maximizeFilters } from '../src/interpret/maximize.ts';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initWeights } from '../src/models/init-weights.ts';
import { vgg16Prefix as unseededPrefix } from '../src/models/vgg16.ts';
import { assertPicture } from './interpret-helpers.ts';
import { tempDir } from './helpers/temp-dir.ts';

const FILTERS = [0, 7, 21, 63];

// Seeded weights: with tfjs's unseeded init a chosen filter was now and then dead (all-zero ReLU, no gradient to climb).
const dir = await tempDir('tk-maximize-');
const weights = join(dir, 'notop.h5');
const vgg16Prefix = (cut: string, options: { inputShape: [number, number, number] }) => unseededPrefix(cut, { ...options, weights });

test.before(async () => {
  // maximize must work on wasm: it needs transferkit's conv-gradient kernels there.
  t_backend = (await initBackend('wasm')).name;
  await initWeights(weights, { includeTop: false, seed: 0 });
});
test.after.always(() => rm(dir, { recursive: true, force: true }));
let t_backend = '';

test.serial('the batched gathered-kernel objective equals each filter mean of the full layer', async (t) => {
  const model = await vgg16Prefix('block1_conv2', { inputShape: [32, 32, 3] });
  const x = tf.randomUniform([FILTERS.length, 32, 32, 3], -100, 100, 'float32', 1) as tf.Tensor4D;
  const got = tf.tidy(() => filterMeans(model, 'block1_conv2', FILTERS)(x).arraySync());
  const full = tf.tidy(() => (tf.mean(model.predict(x) as tf.Tensor4D, [1, 2]) as tf.Tensor2D).arraySync());
  FILTERS.forEach((f, i) => t.true(Math.abs(got[i]! - full[i]![f]!) <= 1e-4 * Math.max(1, Math.abs(full[i]![f]!)), `filter ${f}: ${got[i]} vs ${full[i]![f]}`));
  x.dispose();
  model.dispose();
});

test.serial('gradient ascent raises every filter mean at every step, and renders a grid', async (t) => {
  t.is(t_backend, 'wasm');
  const model = await vgg16Prefix('block1_conv2', { inputShape: [32, 32, 3] });
  // Without jitter each step climbs the same objective, so the rise must be strictly monotonic.
  const result = await maximizeFilters(model, { layer: 'block1_conv2', filters: FILTERS, steps: 6, size: 32, jitter: 0 });
  t.is(result.history.length, 6);
  FILTERS.forEach((f, i) => {
    const series = result.history.map((h) => h[i]!);
    for (let s = 1; s < series.length; s++) t.true(series[s]! > series[s - 1]!, `filter ${f} step ${s}: ${series.join(', ')}`);
  });
  // With the default jitter the measured mean is taken at a shifted (wrapped) image, so only the overall rise is certain.
  const jittered = await maximizeFilters(model, { layer: 'block1_conv2', filters: FILTERS, steps: 6, size: 32 });
  FILTERS.forEach((f, i) => t.true(jittered.history[5]![i]! > jittered.history[0]![i]!, `filter ${f} with jitter`));
  const canvas = maximizeCanvas(result);
  t.deepEqual(canvas.images.map((i) => [i.image.width, i.image.height]), FILTERS.map(() => [32, 32]));
  await assertPicture(t, await canvasToPng(canvas), canvas.width, canvas.height);
  model.dispose();
});

test.serial('a non-conv layer works through the generic path; no tensor leaks across calls', async (t) => {
  const model = await vgg16Prefix('block1_pool', { inputShape: [32, 32, 3] });
  await maximizeFilters(model, { layer: 'block1_pool', filters: [1, 2], steps: 2, size: 32 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) {
    const r = await maximizeFilters(model, { layer: 'block1_pool', filters: [1, 2], steps: 3, size: 32, jitter: 0, seed: i });
    t.true(r.history[2]![0]! > r.history[0]![0]! && r.history[2]![1]! > r.history[0]![1]!);
    await maximizeFilters(model, { layer: 'block1_pool', filters: [1], steps: 2, size: 32, blurEvery: 1 });
    await maximizeFilters(model, { layer: 'block1_conv2', filters: [3], steps: 2, size: 32 });
  }
  t.is(tf.memory().numTensors, before);
  await t.throwsAsync(maximizeFilters(model, { layer: 'block1_conv2', filters: [64], steps: 1, size: 32 }), { message: /has 64 filters \(0-63\); got 64/ });
  t.is(tf.memory().numTensors, before);
  model.dispose();
});

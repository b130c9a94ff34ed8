/**
 * Each visualize command on ../shared/photos/elephant.jpg with init-weights VGG16 weights (no-top
 * for kernels/activations/maximize, with-top for Grad-CAM on ImageNet classes), through the library.
 */
import test from 'ava';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.ts';
import { visualizeActivations, visualizeGradCam, visualizeKernels, visualizeMaximize } from '../../src/interpret/visualize.ts';
import { initWeights } from '../../src/models/init-weights.ts';
import { assertPicture } from '../interpret-helpers.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const shared = resolve(fileURLToPath(new URL('../..', import.meta.url)), '..', 'shared');
const elephant = join(shared, 'photos', 'elephant.jpg');
const labels = join(shared, 'imagenet', 'imagenet_class_index.json');
const tmp = await tempDir('tk-interpret-elephant-');
const notop = join(tmp, 'notop.h5');

test.before(async () => {
  await initBackend('wasm');
  await initWeights(notop, { includeTop: false, seed: 0 });
});
test.after.always(() => rm(tmp, { recursive: true, force: true }));

test.serial('kernels, activations and maximize with no-top weights', async (t) => {
  await visualizeKernels({ weights: notop, out: join(tmp, 'k.png'), filters: [0, 1, 2, 3, 4, 5, 6, 7] });
  // 8 filters, 3x3 upscaled to 33px, 4 columns x 2 rows (the title may widen it).
  await assertPicture(t, join(tmp, 'k.png'), { atLeast: 4 * (33 + 4) + 4 }, 22 + 2 * (33 + 14 + 4) + 4);
  await visualizeActivations({ weights: notop, out: join(tmp, 'a.png'), image: elephant, layer: 'block3_conv1', channels: [0, 1, 2, 3] });
  // 56x56 maps at 224 (two pools) upscaled x2 to 112px, 2x2 grid.
  await assertPicture(t, join(tmp, 'a.png'), { atLeast: 2 * (112 + 4) + 4 }, 22 + 2 * (112 + 14 + 4) + 4);
  await visualizeActivations({ weights: notop, out: join(tmp, 'a1.png'), image: elephant, layer: 'block1_conv1', kernel: 7 });
  await assertPicture(t, join(tmp, 'a1.png'), 4 * (224 + 4) + 4, 22 + 224 + 14 + 4 + 4);
  const result = await visualizeMaximize({ weights: notop, out: join(tmp, 'm.png'), layer: 'block2_conv1', filters: [0, 1, 2, 3], steps: 4, size: 64 });
  const mean = (h: Float32Array) => h.reduce((a, b) => a + b, 0) / h.length;
  t.true(mean(result.history[3]!) > mean(result.history[0]!));
  await assertPicture(t, join(tmp, 'm.png'), { atLeast: 2 * (64 + 4) + 4 }, 22 + 2 * (64 + 14 + 4) + 4);
  t.is(tf.memory().numTensors, 0);
});

test.serial('Grad-CAM over the elephant with with-top weights and ImageNet labels', async (t) => {
  const top = join(tmp, 'top.h5');
  await initWeights(top, { includeTop: true, seed: 0 });
  const result = await visualizeGradCam({ weights: top, image: elephant, out: join(tmp, 'g.png'), labels, classIndex: 386 });
  t.regex(result.label, /^African_elephant \(386\) p=0\.\d{3}, block5_conv3$/);
  t.deepEqual([result.width, result.height], [14, 14]);
  await assertPicture(t, join(tmp, 'g.png'), 224, 224);
  t.is(tf.memory().numTensors, 0);
  await rm(top);
});

import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';
import { UserError } from '../src/errors.ts';
import { canvasToPng } from '../src/interpret/compose.ts';
import { gradCam, gradCamCanvas, upsampleHeatmap } from '../src/interpret/gradcam.ts';
import { assertPicture } from './interpret-helpers.ts';

const SIDE = 16;

/**
 * A hand-set "bright blob" classifier: conv filter 0 fires on bright pixels, filter 1 on dark
 * ones; max-pool and global average pooling; class 0 ("blob") = 8 filter0 - filter1, class 1 the
 * opposite (the blob is small, so its evidence weighs 8x).
 */
function blobModel(): tf.LayersModel {
  const input = tf.input({ shape: [SIDE, SIDE, 3], name: 'input_1' });
  const conv = tf.layers.conv2d({ name: 'conv', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' });
  const pool = tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 });
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' });
  const dense = tf.layers.dense({ name: 'predictions', units: 2, activation: 'softmax' });
  const model = tf.model({ inputs: input, outputs: dense.apply(gap.apply(pool.apply(conv.apply(input)))) as tf.SymbolicTensor });
  const k = new Float32Array(3 * 3 * 3 * 2);
  for (let p = 0; p < 27; p++) [k[p * 2], k[p * 2 + 1]] = [1 / 27, -1 / 27];
  conv.setWeights([tf.tensor4d(k, [3, 3, 3, 2]), tf.tensor1d([-0.5, 0.5])]);
  dense.setWeights([tf.tensor2d([[8, -8], [-1, 1]]), tf.zeros([2])]);
  return model;
}

/** A black image (values in [0, 1]) with a bright block at columns x0..x0+5, rows 4..11. */
function blobImage(x0: number): tf.Tensor4D {
  const px = new Float32Array(SIDE * SIDE * 3);
  for (let y = 4; y <= 11; y++) for (let x = x0; x <= x0 + 5; x++) px.fill(1, (y * SIDE + x) * 3, (y * SIDE + x) * 3 + 3);
  return tf.tensor4d(px, [1, SIDE, SIDE, 3]);
}

/** Share of the heatmap's mass in the left half of the image (after upsampling to the image). */
function leftShare(heat: Float32Array, side: number): number {
  let left = 0;
  let total = 0;
  heat.forEach((v, i) => {
    total += v;
    if (i % side < side / 2) left += v;
  });
  return left / total;
}

test.before(async () => {
  await initBackend();
});

test.serial('Grad-CAM puts the blob class mass where the object is, and matches the closed form', (t) => {
  const model = blobModel();
  for (const [x0, wantLeft] of [[1, true], [9, false]] as const) {
    const image = blobImage(x0);
    const cam = gradCam(model, image);
    t.is(cam.layer, 'conv'); // the last Conv2D by default
    t.is(cam.classIndex, 0);
    t.true(cam.probability > 0.5);
    const share = leftShare(upsampleHeatmap(cam, SIDE, SIDE), SIDE);
    t.true(wantLeft ? share > 0.9 : share < 0.1, `blob at x=${x0}: left share ${share}`);
    // GAP after a 2x2 max-pool: d(logit0)/dA_k is w_k / 64 at each of the 64 pool winners, so the
    // channel weights are w_k / 256 = (8, -1) / 256 and the map is relu(8 A_0 - A_1), scaled to a maximum of 1.
    const maps = tf.tidy(() => (model.getLayer('conv').apply(image) as tf.Tensor4D).dataSync());
    const expected = Array.from({ length: SIDE * SIDE }, (_, p) => Math.max(0, 8 * maps[p * 2]! - maps[p * 2 + 1]!));
    const peak = Math.max(...expected);
    cam.heatmap.forEach((v, p) => t.true(Math.abs(v - expected[p]! / peak) < 1e-5, `pixel ${p}: ${v} vs ${expected[p]! / peak}`));
    // The background class points away from the blob.
    const other = gradCam(model, image, { classIndex: 1 });
    t.true(wantLeft ? leftShare(other.heatmap, SIDE) < 0.5 : leftShare(other.heatmap, SIDE) > 0.5);
    image.dispose();
  }
  model.dispose();
});

test.serial('the blended picture has the image size and a label; errors name the fix; no leaks', async (t) => {
  const model = blobModel();
  const image = blobImage(2);
  const rgb = { width: SIDE * 4, height: SIDE * 4, data: new Uint8Array(SIDE * SIDE * 48).fill(90) };
  gradCam(model, image);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const cam = gradCam(model, image, { classIndex: i % 2 });
    const canvas = gradCamCanvas(rgb, cam, { label: 'blob p=0.99' });
    t.deepEqual([canvas.width, canvas.height], [SIDE * 4, SIDE * 4]);
    if (i === 0) await assertPicture(t, await canvasToPng(canvas), SIDE * 4, SIDE * 4);
  }
  t.is(tf.memory().numTensors, before);
  t.throws(() => gradCam(model, image, { classIndex: 2 }), { instanceOf: UserError, message: /has 2 classes \(0-1\); got 2/ });
  t.throws(() => gradCam(model, image, { layer: 'gap' }), { instanceOf: UserError, message: /not feature maps/ });
  t.throws(() => gradCam(model, image, { layer: 'nope' }), { instanceOf: UserError, message: /no layer "nope"/ });
  t.is(tf.memory().numTensors, before);
  image.dispose();
  model.dispose();
});

import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';
import { UserError } from '../src/errors.ts';
import { canvasToPng, CAPTION_HEIGHT, TITLE_HEIGHT } from '../src/interpret/compose.ts';
import { kernelsCanvas } from '../src/interpret/kernels.ts';
import { vgg16Prefix } from '../src/models/vgg16.ts';
import { assertPicture, readPng } from './interpret-helpers.ts';

test.before(async () => {
  await initBackend();
});

test.serial('first-layer kernels: one RGB tile per filter, BGR weights shown as RGB, labelled', async (t) => {
  const model = await vgg16Prefix('block1_conv1', { inputShape: [32, 32, 3] });
  // Filter 0 responds only to the B input channel (index 0 in caffe's BGR order): its tile must be blue.
  const [kernel, bias] = model.getLayer('block1_conv1').getWeights() as [tf.Tensor4D, tf.Tensor];
  const k = kernel.arraySync();
  for (const row of k) for (const px of row) for (const [c, ch] of px.entries()) ch[0] = c === 0 ? 1 : 0;
  const set = tf.tensor4d(k);
  model.getLayer('block1_conv1').setWeights([set, bias]);
  set.dispose();

  const canvas = kernelsCanvas(model, { filters: [0, 1, 2, 3, 4, 5], tileSize: 30 });
  const png = await canvasToPng(canvas);
  // 3x3 kernels upscaled x10 to 30px tiles; 6 filters in ceil(sqrt(12)) = 4 columns, 2 rows.
  t.is(canvas.images.length, 6);
  t.is(canvas.height, TITLE_HEIGHT + 2 * (30 + CAPTION_HEIGHT + 4) + 4);
  await assertPicture(t, png, canvas.width, canvas.height);
  const { data, width } = await readPng(png);
  const { x, y } = canvas.images[0]!;
  const centre = ((y + 15) * width + x + 15) * 3;
  t.deepEqual([...data.subarray(centre, centre + 3)], [0, 0, 255]);
  t.true(canvas.texts.some((l) => l.text.startsWith('block1_conv1')));
  t.deepEqual(canvas.texts.slice(1).map((l) => l.text), ['0', '1', '2', '3', '4', '5']);
  model.dispose();
});

test.serial('deeper kernels: filters x input channels grid; bad layer and index errors name the fix', async (t) => {
  const model = await vgg16Prefix('block2_conv1', { inputShape: [32, 32, 3] });
  const canvas = kernelsCanvas(model, { layer: 'block2_conv1', filters: [0, 1, 2], channels: [0, 1, 2, 3] });
  t.is(canvas.images.length, 12);
  await assertPicture(t, await canvasToPng(canvas), canvas.width, canvas.height);
  t.throws(() => kernelsCanvas(model, { layer: 'block1_pool' }), { instanceOf: UserError, message: /block1_pool" is a MaxPooling2D, not a Conv2D/ });
  t.throws(() => kernelsCanvas(model, { layer: 'block9_conv1' }), { instanceOf: UserError, message: /no layer "block9_conv1"/ });
  t.throws(() => kernelsCanvas(model, { layer: 'block2_conv1', filters: [200] }), { instanceOf: UserError, message: /has 128 filters \(0-127\); got 200/ });
  model.dispose();
});

test.serial('no tensor leaks across repeated calls', async (t) => {
  const model = await vgg16Prefix('block2_conv1', { inputShape: [32, 32, 3] });
  kernelsCanvas(model);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    kernelsCanvas(model);
    kernelsCanvas(model, { layer: 'block2_conv1' });
  }
  t.is(tf.memory().numTensors, before);
  model.dispose();
});

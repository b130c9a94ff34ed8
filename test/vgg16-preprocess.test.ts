import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initBackend } from '../src/backend/index.ts';
import { UserError } from '../src/errors.ts';
import { caffeInput, caffeToRgb, imagesToTensor, imageToTensor, pixelsToInput, preprocessInput, VGG16_PREPROCESSING } from '../src/models/preprocess.ts';
import { tempDir } from './helpers/temp-dir.ts';

test.before(async () => {
  await initBackend();
});

// RGB (10, 20, 30) -> BGR (30, 20, 10) - (103.939, 116.779, 123.68), computed by hand.
const PIXEL = [10, 20, 30];
const EXPECTED = [-73.939, -96.779, -113.68];

function close(t: import('ava').ExecutionContext, got: ArrayLike<number>, want: ArrayLike<number>) {
  t.is(got.length, want.length);
  for (let i = 0; i < want.length; i++) t.true(Math.abs(got[i]! - want[i]!) < 1e-4, `index ${i}: ${got[i]} vs ${want[i]}`);
}

test.serial('preprocessInput flips RGB to BGR and subtracts the ImageNet BGR means (single image and batch)', (t) => {
  const single = tf.tensor3d([...PIXEL, 0, 0, 0, 255, 255, 255], [1, 3, 3]);
  const out = preprocessInput(single);
  t.deepEqual(out.shape, [1, 3, 3]);
  close(t, out.dataSync(), [...EXPECTED, -103.939, -116.779, -123.68, 151.061, 138.221, 131.32]);
  const batch = tf.tensor4d([...PIXEL, ...PIXEL.map((v) => v * 2)], [2, 1, 1, 3]);
  const outBatch = preprocessInput(batch);
  close(t, outBatch.dataSync(), [...EXPECTED, 60 - 103.939, 40 - 116.779, 20 - 123.68]);
  const ints = preprocessInput(tf.tensor1d(PIXEL, 'int32'));
  t.is(ints.dtype, 'float32');
  close(t, ints.dataSync(), EXPECTED);
  tf.dispose([single, out, batch, outBatch, ints]);
});

test.serial('preprocessInput rejects tensors without 3 channels last', (t) => {
  const x = tf.zeros([2, 2, 4]);
  t.throws(() => preprocessInput(x), { instanceOf: UserError, message: /3 RGB channels last, got shape \[2, 2, 4\]/ });
  x.dispose();
});

test.serial('pixelsToInput preprocesses decoded bytes and 0..255 floats alike, and caffeToRgb undoes it; no tensors leak', (t) => {
  const before = tf.memory().numTensors;
  const rgb = [...PIXEL, 0, 0, 0, 255, 255, 255, 1, 2, 3];
  const fromBytes = pixelsToInput(Uint8Array.from(rgb), [2, 1, 2]);
  const fromFloats = pixelsToInput(Float32Array.from(rgb), [2, 1, 2]);
  t.deepEqual(fromBytes.shape, [2, 1, 2, 3]);
  t.is(fromBytes.dtype, 'float32');
  const want = [...EXPECTED, -103.939, -116.779, -123.68, 151.061, 138.221, 131.32, 3 - 103.939, 2 - 116.779, 1 - 123.68];
  close(t, fromBytes.dataSync(), want);
  close(t, fromFloats.dataSync(), want);
  close(t, caffeToRgb(fromBytes.dataSync() as Float32Array), rgb);
  t.throws(() => caffeToRgb(new Float32Array(4)), { instanceOf: UserError, message: /caffeToRgb expects interleaved RGB values, got 4/ });
  tf.dispose([fromBytes, fromFloats]);
  t.is(tf.memory().numTensors, before);
});

test.serial('imageToTensor squashes a file to 224x224 and preprocesses it; no tensors leak', async (t) => {
  const dir = await tempDir('tk-pre-');
  const file = join(dir, 'solid.png');
  await sharp({ create: { width: 300, height: 120, channels: 3, background: { r: 200, g: 100, b: 50 } } }).png().toFile(file);
  const before = tf.memory().numTensors;
  const x = await imageToTensor(file);
  t.is(tf.memory().numTensors, before + 1);
  t.deepEqual(x.shape, [1, 224, 224, 3]);
  const data = x.dataSync();
  const want = [50 - 103.939, 100 - 116.779, 200 - 123.68];
  close(t, data.subarray(0, 3), want);
  close(t, data.subarray(data.length - 3), want);
  x.dispose();
  const small = await imagesToTensor([file, file], { ...VGG16_PREPROCESSING, size: [40, 32] });
  t.deepEqual(small.shape, [2, 40, 32, 3]);
  small.dispose();
  t.is(tf.memory().numTensors, before);
});

test.serial('an unreadable image is a UserError naming the file', async (t) => {
  const dir = await tempDir('tk-pre-');
  const file = join(dir, 'notes.jpg');
  await writeFile(file, 'this is not an image');
  const before = tf.memory().numTensors;
  await t.throwsAsync(imageToTensor(file), { instanceOf: UserError, message: new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });
  t.is(tf.memory().numTensors, before);
});

test.serial('caffeInput is bit-identical to tfjs float32 ops (reverse, subtract the means): features cached before it stay valid', (t) => {
  // Every byte value in every channel position, over two 11x11 images.
  const rgb = Uint8Array.from({ length: 2 * 11 * 11 * 3 }, (_, i) => (i * 37) % 256);
  const want = tf.tidy(() => tf.sub(tf.reverse(tf.tensor4d(rgb, [2, 11, 11, 3], 'float32'), -1), tf.tensor1d([103.939, 116.779, 123.68])).dataSync());
  const got = caffeInput(rgb);
  t.deepEqual(Array.from(got), Array.from(want));
  const out = new Float32Array(rgb.length + 6).fill(7);
  caffeInput(rgb.subarray(0, 3), out, 3);
  t.deepEqual(Array.from(out.subarray(0, 9)), [7, 7, 7, ...Array.from(want.subarray(0, 3)), 7, 7, 7]);
});

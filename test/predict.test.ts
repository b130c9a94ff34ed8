import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initBackend } from '../src/backend/index.ts';
import { UserError } from '../src/errors.ts';
import { classifyImages } from '../src/models/predict.ts';
import { imagesToTensor, type Preprocessing } from '../src/models/preprocess.ts';
import { buildVgg16 } from '../src/models/vgg16.ts';
import { tempDir } from './helpers/temp-dir.ts';

const PREPROCESSING: Preprocessing = { mode: 'caffe', size: [32, 32], resize: 'squash' };

test.before(async () => {
  await initBackend();
});

/** Ten noise images of different sizes, so every one decodes, resizes and predicts differently. */
async function noiseImages(dir: string, n: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const path = join(dir, `img${i}.png`);
    const [width, height] = [40 + 7 * i, 30 + 5 * i];
    const pixels = Buffer.alloc(width * height * 3);
    for (let p = 0; p < pixels.length; p++) pixels[p] = (p * 37 + i * 101) % 256;
    await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toFile(path);
    paths.push(path);
  }
  return paths;
}

test.serial('classifying 10 images in batches matches one forward pass and leaves tf.memory unchanged', async (t) => {
  const dir = await tempDir('tk-predict-');
  const paths = await noiseImages(dir, 10);
  const model = buildVgg16({ includeTop: false, inputShape: [32, 32, 3], pooling: 'avg' });
  const before = tf.memory().numTensors;
  const rows = await classifyImages(model, paths, { preprocessing: PREPROCESSING, batchSize: 4 });
  t.is(tf.memory().numTensors, before);
  const again = await classifyImages(model, paths, { preprocessing: PREPROCESSING, batchSize: 3 });
  t.is(tf.memory().numTensors, before);
  t.is(rows.length, 10);
  t.true(rows.every((r) => r.length === 512));
  const x = await imagesToTensor(paths, PREPROCESSING);
  const y = model.predict(x) as tf.Tensor;
  const whole = y.arraySync() as number[][];
  tf.dispose([x, y]);
  for (const [i, row] of rows.entries()) {
    for (let j = 0; j < row.length; j++) {
      t.true(Math.abs(row[j]! - whole[i]![j]!) <= 1e-3 * (1 + Math.abs(whole[i]![j]!)), `image ${i} feature ${j}`);
      t.true(Math.abs(row[j]! - again[i]![j]!) <= 1e-3 * (1 + Math.abs(row[j]!)));
    }
  }
  t.notDeepEqual(Array.from(rows[0]!), Array.from(rows[1]!));
  model.dispose();
});

test.serial('an unreadable image among many is a UserError naming it, with no tensors left behind', async (t) => {
  const dir = await tempDir('tk-predict-');
  const paths = await noiseImages(dir, 3);
  const broken = join(dir, 'broken.jpg');
  await writeFile(broken, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
  const model = buildVgg16({ includeTop: false, inputShape: [32, 32, 3] });
  const before = tf.memory().numTensors;
  await t.throwsAsync(classifyImages(model, [...paths, broken], { preprocessing: PREPROCESSING, batchSize: 2 }), {
    instanceOf: UserError,
    message: /broken\.jpg: truncated or corrupt/,
  });
  t.is(tf.memory().numTensors, before);
  model.dispose();
});

import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { AUGMENT_PRESETS } from '../src/data/augment-options.ts';
import { streamBatches } from '../src/data/batches.ts';
import type { DatasetItem } from '../src/data/dataset.ts';
import { ImageDecodeError } from '../src/data/decode.ts';
import { tempDir } from './helpers/temp-dir.ts';

await tf.setBackend('cpu');
const dir = await tempDir('tk-batches-');
const items: DatasetItem[] = [];
for (let i = 0; i < 11; i++) {
  const className = i % 2 === 0 ? 'even' : 'odd';
  const path = join(dir, className, `${i}.png`);
  await mkdir(join(dir, className), { recursive: true });
  await sharp({ create: { width: 30, height: 20, channels: 3, background: { r: i * 10, g: 0, b: 0 } } }).png().toFile(path);
  items.push({ path, classIndex: i % 2, className });
}

test.serial('batches keep item order, labels and pixels; preprocessing applied; no tensors leak', async (t) => {
  const before = tf.memory().numTensors;
  for (let round = 0; round < 2; round++) {
    const seen: number[] = [];
    for await (const batch of streamBatches(items, { numClasses: 2, batchSize: 4, width: 8, height: 8, concurrency: 2, preprocess: (x) => tf.sub(x, 1) })) {
      t.deepEqual(batch.xs.shape.slice(1), [8, 8, 3]);
      t.is(batch.ys.shape[1], 2);
      const xs = (await batch.xs.array()) as number[][][][];
      const ys = (await batch.ys.array()) as number[][];
      batch.items.forEach((item, row) => {
        const i = items.indexOf(item);
        t.is(xs[row]![0]![0]![0], i * 10 - 1, 'red = 10 i, minus 1 from preprocess');
        t.deepEqual(ys[row], i % 2 === 0 ? [1, 0] : [0, 1]);
        seen.push(i);
      });
      tf.dispose([batch.xs, batch.ys]);
    }
    t.deepEqual(seen, [...items.keys()], 'every item once, in order');
  }
  t.is(tf.memory().numTensors, before);
});

test.serial('shuffle is seeded per epoch; augmentation is reproducible; index labels', async (t) => {
  const order = async (epoch: number): Promise<string[]> => {
    const paths: string[] = [];
    for await (const b of streamBatches(items, { numClasses: 2, batchSize: 5, width: 8, height: 8, shuffle: true, seed: 1, epoch, labels: 'index' })) {
      t.is(b.ys.dtype, 'int32');
      paths.push(...b.items.map((i) => i.path));
      tf.dispose([b.xs, b.ys]);
    }
    return paths;
  };
  t.deepEqual(await order(0), await order(0));
  t.notDeepEqual(await order(0), await order(1));
  const pixels = async (): Promise<number[]> => {
    const out: number[] = [];
    for await (const b of streamBatches(items, { numClasses: 2, batchSize: 11, width: 8, height: 8, augment: AUGMENT_PRESETS.strong, seed: 5 })) {
      out.push(...(await b.xs.data()));
      tf.dispose([b.xs, b.ys]);
    }
    return out;
  };
  t.deepEqual(await pixels(), await pixels());
});

test.serial('an unreadable file: rethrown by default, skipped through onUnreadable', async (t) => {
  const broken = join(dir, 'broken.png');
  await writeFile(broken, 'nope');
  const withBroken = [...items.slice(0, 3), { path: broken, classIndex: 0, className: 'even' }, ...items.slice(3)];
  await t.throwsAsync(async () => {
    for await (const b of streamBatches(withBroken, { numClasses: 2, batchSize: 4, width: 8, height: 8 })) tf.dispose([b.xs, b.ys]);
  }, { instanceOf: ImageDecodeError });
  const skipped: string[] = [];
  let count = 0;
  for await (const b of streamBatches(withBroken, { numClasses: 2, batchSize: 4, width: 8, height: 8, onUnreadable: (item) => skipped.push(item.path) })) {
    count += b.items.length;
    t.is(b.xs.shape[0], b.items.length);
    tf.dispose([b.xs, b.ys]);
  }
  t.deepEqual(skipped, [broken]);
  t.is(count, items.length);
});

import test from 'ava';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { extractFeatures, loadFeatures, type ExtractItem, type ExtractOptions, type LoadFeaturesOptions } from '../src/cache/extract-features.ts';
import { FeatureStore } from '../src/cache/feature-store.ts';
import { NO_AUGMENTATION } from '../src/data/augment-options.ts';
import { UserError } from '../src/errors.ts';
import { writeLegacyWeights } from '../src/keras/index.ts';
import { createEngine } from '../src/models/engines/index.ts';
import { imagesToTensor } from '../src/models/preprocess.ts';
import { randomVgg16 } from './helpers/vgg16-weights.ts';
import { tempDir } from './helpers/temp-dir.ts';

const SIZE = 32;

interface Fixture {
  dir: string;
  weights: string;
  otherWeights: string;
  items: ExtractItem[];
  unreadable: string;
}

/** Five distinct generated photos-ish images, one text file named .jpg, and two weights files. */
async function fixture(t: import('ava').ExecutionContext): Promise<Fixture> {
  const dir = await tempDir('tk-extract-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'img'));
  const items: ExtractItem[] = [];
  for (let i = 0; i < 5; i++) {
    const path = join(dir, 'img', `im${i}.png`);
    const raw = Buffer.alloc(40 * 30 * 3);
    for (let p = 0; p < raw.length; p++) raw[p] = (p * (7 + i * 13) + i * 31) % 256;
    await sharp(raw, { raw: { width: 40, height: 30, channels: 3 } }).png().toFile(path);
    items.push({ path });
  }
  const unreadable = join(dir, 'img', 'broken.jpg');
  await writeFile(unreadable, 'not an image');
  items.push({ path: unreadable });
  const weights = join(dir, 'w1.h5');
  const otherWeights = join(dir, 'w2.h5');
  await writeLegacyWeights(weights, randomVgg16(1).layers);
  await writeLegacyWeights(otherWeights, randomVgg16(2).layers);
  return { dir, weights, otherWeights, items, unreadable };
}

const base = (f: Fixture, extra: Partial<ExtractOptions & LoadFeaturesOptions> = {}): ExtractOptions & LoadFeaturesOptions => ({
  weights: f.weights,
  cut: 'block5_pool',
  inputSize: SIZE,
  cache: join(f.dir, 'cache'),
  batchSize: 2,
  ...extra,
});

test.serial('every readable image is computed once, a second run computes nothing, features read back in order', async (t) => {
  const f = await fixture(t);
  // block3_pool: features in the tens with these weights, so the comparison below means something.
  const opts = base(f, { cut: 'block3_pool' });
  const first = await extractFeatures(f.items, opts);
  t.is(first.total, 6);
  t.is(first.computed, 5);
  t.is(first.reused, 0);
  t.deepEqual(first.unreadable.map((u) => u.path), [f.unreadable]);
  t.is(first.engine, 'onnx');
  t.false(first.interrupted);
  t.is(first.bytesWritten, 5 * 4 * 4 * 256 * 4);
  const second = await extractFeatures(f.items, opts);
  t.is(second.computed, 0);
  t.is(second.reused, 5);
  t.is(second.engine, 'none');
  t.is(second.unreadable.length, 1); // retried, still unreadable, never cached

  // loadFeatures returns exactly what the engine computes from the preprocessed images, in order.
  const readable = f.items.slice(0, 5).reverse();
  const { features, shape } = await loadFeatures(readable, opts);
  t.deepEqual(shape, [5, 4, 4, 256]);
  const engine = await createEngine({ weights: f.weights, cut: 'block3_pool', inputSize: SIZE, engine: 'tfjs' });
  const x = await imagesToTensor(readable.map((i) => i.path), { mode: 'caffe', size: [SIZE, SIZE], resize: 'nearest' });
  const expected = await engine.run(x.dataSync() as Float32Array, 5);
  x.dispose();
  await engine.dispose();
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(features[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  t.true(worst <= 1e-4, `max scaled error ${worst}`);
  t.true(expected.some((v) => v > 1));

  await t.throwsAsync(loadFeatures([f.items[5]!], opts), { instanceOf: UserError, message: /broken\.jpg/ });
});

test.serial('changing the weights file, cut, input size or resize mode misses the cache', async (t) => {
  const f = await fixture(t);
  await extractFeatures(f.items, base(f));
  for (const change of [{ weights: f.otherWeights }, { cut: 'block4_pool' }, { inputSize: 48 }, { resize: 'crop' as const }]) {
    const run = await extractFeatures(f.items, base(f, change));
    t.is(run.computed, 5, JSON.stringify(change));
    t.is(run.reused, 0, JSON.stringify(change));
  }
  // Each prefix keeps its own entries: 5 prefixes x 5 images.
  const store = await FeatureStore.open(join(f.dir, 'cache'), { readOnly: true });
  t.is(store.stats().entries, 25);
  t.is(store.prefixes().length, 5);
  await store.close();
});

test.serial('float16 storage stays within half precision of float32 features', async (t) => {
  const f = await fixture(t);
  const items = f.items.slice(0, 5);
  await extractFeatures(items, base(f));
  const exact = await loadFeatures(items, base(f));
  const halfCache = join(f.dir, 'cache16');
  const run = await extractFeatures(items, base(f, { cache: halfCache, dtype: 'float16' }));
  t.is(run.bytesWritten, 5 * 512 * 2);
  const half = await loadFeatures(items, base(f, { cache: halfCache }));
  for (let i = 0; i < exact.features.length; i++) {
    const v = exact.features[i]!;
    t.true(Math.abs(half.features[i]! - v) <= Math.max(Math.abs(v) * 2 ** -11, 2 ** -24) * 1.0001 + 1e-5 * Math.abs(v), `index ${i}`);
  }
});

test.serial('augmented copies are cached per copy for items that allow it, and differ from the original', async (t) => {
  const f = await fixture(t);
  const items = f.items.slice(0, 3).map((item, i) => ({ ...item, augment: i < 2 }));
  const augmentation = { options: { ...NO_AUGMENTATION, rotationRange: 30, horizontalFlip: true }, seed: 5 };
  const run = await extractFeatures(items, base(f, { augmentCopies: 2, augmentation }));
  t.is(run.total, 2 * 3 + 1);
  t.is(run.computed, 7);
  const orig = await loadFeatures(items.slice(0, 2), base(f));
  const copy2 = await loadFeatures(items.slice(0, 2), base(f, { copy: 2, augmentation }));
  t.notDeepEqual(orig.features, copy2.features);
  const again = await extractFeatures(items, base(f, { augmentCopies: 2, augmentation }));
  t.is(again.computed, 0);
  await t.throwsAsync(extractFeatures(items, base(f, { augmentCopies: 1 })), { instanceOf: UserError, message: /augmentation/ });
});

test.serial('an abort stops after the in-flight batch; the next run resumes and finishes', async (t) => {
  const f = await fixture(t);
  const controller = new AbortController();
  const first = await extractFeatures(f.items, base(f, { signal: controller.signal, onEvent: (e) => e.type === 'extract' && e.progress.computed >= 2 && controller.abort() }));
  t.true(first.interrupted);
  t.true(first.computed >= 2 && first.computed < 5, `computed ${first.computed}`);
  const second = await extractFeatures(f.items, base(f));
  t.is(second.reused, first.computed);
  t.is(second.computed, 5 - first.computed);
});

test.serial('two tfjs worker processes fill the same cache with the same features as onnx', async (t) => {
  const f = await fixture(t);
  const items = f.items.slice(0, 5);
  const viaWorkers = await extractFeatures(f.items, base(f, { engine: 'tfjs', workers: 2, backend: 'wasm', batchSize: 1 }));
  t.is(viaWorkers.computed, 5);
  t.is(viaWorkers.unreadable.length, 1);
  t.regex(viaWorkers.engine, /^tfjs-wasm/);
  const a = await loadFeatures(items, base(f));
  const onnxCache = join(f.dir, 'onnx');
  await extractFeatures(items, base(f, { cache: onnxCache, engine: 'onnx' }));
  const b = await loadFeatures(items, base(f, { cache: onnxCache }));
  let worst = 0;
  for (let i = 0; i < a.features.length; i++) worst = Math.max(worst, Math.abs(a.features[i]! - b.features[i]!) / Math.max(1, Math.abs(b.features[i]!)));
  t.true(worst <= 1e-4, `max scaled error ${worst}`);
});

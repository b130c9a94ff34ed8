import test from 'ava';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import h5wasm from 'h5wasm/node';
import { exportFeatures, npyBytes } from '../src/cache/export-features.ts';
import { extractFeatures, loadFeatures } from '../src/cache/extract-features.ts';
import { scanDataset } from '../src/data/scan.ts';
import { writeLegacyWeights } from '../src/keras/index.ts';
import { randomVgg16 } from './helpers/vgg16-weights.ts';
import { tempDir } from './helpers/temp-dir.ts';

/** Parse a .npy file we wrote: dtype, shape and data. */
function parseNpy(bytes: Uint8Array): { descr: string; shape: number[]; data: ArrayBuffer } {
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
  const descr = /'descr': '([^']+)'/.exec(header)![1]!;
  const shape = /'shape': \(([^)]*)\)/.exec(header)![1]!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const start = 10 + headerLen;
  return { descr, shape, data: new Uint8Array(bytes.subarray(start)).buffer };
}

test('npy header follows NumPy v1.0: magic, 64-byte aligned header, shape tuple', (t) => {
  const bytes = npyBytes(Int32Array.of(1, 2, 3), [3]);
  t.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  t.is((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64, 0);
  const parsed = parseNpy(bytes);
  t.is(parsed.descr, '<i4');
  t.deepEqual(parsed.shape, [3]);
  t.deepEqual([...new Int32Array(parsed.data)], [1, 2, 3]);
});

test('a dataset cache exports to .npy and HDF5 with features, labels and class names in dataset order', async (t) => {
  const dir = await tempDir('tk-export-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [cls, n] of [['ants', 3], ['bees', 2]] as const) {
    await mkdir(join(dir, 'data', 'train', cls), { recursive: true });
    await mkdir(join(dir, 'data', 'val', cls), { recursive: true });
    for (let i = 0; i < n; i++)
      for (const split of ['train', 'val'])
        await sharp({ create: { width: 20 + i, height: 24, channels: 3, background: { r: 40 * i, g: cls === 'ants' ? 200 : 20, b: split === 'val' ? 90 : 10 } } })
          .png()
          .toFile(join(dir, 'data', split, cls, `${i}.png`));
  }
  const weights = join(dir, 'w.h5');
  await writeLegacyWeights(weights, randomVgg16(3).layers);
  const dataset = await scanDataset(join(dir, 'data'), { valSplit: 0.2, seed: 0 });
  const prefix = { weights, cut: 'block2_pool', inputSize: 32, cache: join(dir, 'cache') };
  await extractFeatures([...dataset.splits.train, ...dataset.splits.validation], { ...prefix, batchSize: 4 });
  const expected = await loadFeatures(dataset.splits.validation, prefix);

  const npyFiles = await exportFeatures(dataset, prefix, 'npy', join(dir, 'npy'));
  t.is(npyFiles.length, 5);
  const features = parseNpy(await readFile(join(dir, 'npy', 'validation_features.npy')));
  t.is(features.descr, '<f4');
  t.deepEqual(features.shape, [5, 8, 8, 128]);
  t.deepEqual(new Float32Array(features.data), expected.features);
  const labels = parseNpy(await readFile(join(dir, 'npy', 'validation_labels.npy')));
  t.deepEqual([...new Int32Array(labels.data)], dataset.splits.validation.map((i) => i.classIndex));
  t.deepEqual(JSON.parse(await readFile(join(dir, 'npy', 'classes.json'), 'utf8')), ['ants', 'bees']);

  const [h5file] = await exportFeatures(dataset, prefix, 'h5', join(dir, 'h5'));
  await h5wasm.ready;
  const h5 = new h5wasm.File(h5file!, 'r');
  const ds = h5.get('validation/features') as InstanceType<typeof h5wasm.Dataset>;
  t.deepEqual(ds.shape, [5, 8, 8, 128]);
  t.deepEqual(ds.value as Float32Array, expected.features);
  t.deepEqual([...((h5.get('train/labels') as InstanceType<typeof h5wasm.Dataset>).value as Int32Array)], [0, 0, 0, 1, 1]);
  t.deepEqual(h5.attrs['class_names']!.value, ['ants', 'bees']);
  h5.close();
});

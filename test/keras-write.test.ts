import test from 'ava';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readKerasFile, writeLegacyWeights, type LayerWeights } from '../src/keras/index.ts';
import { isDataset, isGroup, loadH5 } from '../src/keras/h5.ts';
import { UserError } from '../src/errors.ts';
import { values } from './keras-fixtures.ts';
import { tempDir } from './helpers/temp-dir.ts';

const dir = await tempDir('tk-keras-');
let n = 0;
const tmp = (name: string) => join(dir, `${n++}-${name}`);

const layers: LayerWeights[] = [
  { name: 'input_1', weights: [] },
  {
    name: 'block1_conv1',
    weights: [
      { name: 'block1_conv1/kernel:0', shape: [3, 3, 3, 4], data: values(108, 1) },
      { name: 'block1_conv1/bias:0', shape: [4], data: values(4, 2) },
    ],
  },
  { name: 'block1_pool', weights: [] },
  {
    name: 'bn',
    weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w, i) => ({ name: `bn/${w}:0`, shape: [4], data: values(4, 5 + i) })),
  },
  // A Keras 1 style name and a name without a layer prefix are written where weight_names says.
  { name: 'fc1', weights: [{ name: 'fc1_W', shape: [4, 2], data: values(8, 9) }, { name: 'vars/1', shape: [2], data: values(2, 10) }] },
];

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('the file has exactly the Keras 2 save_weights layout', async (t) => {
  const path = tmp('layout.h5');
  await writeLegacyWeights(path, layers);
  const h5wasm = await loadH5();
  const f = new h5wasm.File(path, 'r');
  try {
    const attr = (obj: { attrs: Record<string, { metadata: { type: number; vlen: boolean }; value: unknown }> }, name: string) => obj.attrs[name]!;
    for (const name of ['layer_names', 'backend', 'keras_version']) {
      // type 3 = HDF5 string; fixed-length so h5py returns numpy bytes with `.decode`, as Keras 2 expects.
      t.is(attr(f, name).metadata.type, 3, name);
      t.false(attr(f, name).metadata.vlen, name);
    }
    t.deepEqual(attr(f, 'layer_names').value, layers.map((l) => l.name));
    t.is(attr(f, 'backend').value, 'tensorflow');
    t.is(attr(f, 'keras_version').value, '2.4.0');
    t.deepEqual(f.keys().sort(), layers.map((l) => l.name).sort());
    const pool = f.get('block1_pool');
    t.true(isGroup(pool));
    // Keras writes a weightless layer's weight_names as an empty float64 numpy array.
    const empty = attr(pool as never, 'weight_names');
    t.is(empty.metadata.type, 1);
    t.is((empty.value as Float64Array).length, 0);
    const conv = f.get('block1_conv1');
    t.false(attr(conv as never, 'weight_names').metadata.vlen);
    t.deepEqual(attr(conv as never, 'weight_names').value, ['block1_conv1/kernel:0', 'block1_conv1/bias:0']);
    const kernel = f.get('block1_conv1/block1_conv1/kernel:0');
    t.true(isDataset(kernel));
    if (isDataset(kernel)) {
      t.is(kernel.dtype, '<f');
      t.deepEqual(kernel.shape, [3, 3, 3, 4]);
    }
    t.true(isDataset(f.get('fc1/fc1_W')));
    t.true(isDataset(f.get('fc1/vars/1')));
  } finally {
    f.close();
  }
});

test('write → read → write → read keeps every tensor bit-identical', async (t) => {
  const first = tmp('first.h5');
  const second = tmp('second.h5');
  await writeLegacyWeights(first, layers, { kerasVersion: '2.2.4' });
  const read1 = await readKerasFile(first);
  await writeLegacyWeights(second, read1.layers, { kerasVersion: read1.kerasVersion! });
  const read2 = await readKerasFile(second);
  t.is(read2.kerasVersion, '2.2.4');
  for (const file of [read1, read2]) {
    t.deepEqual(
      file.layers.map((l) => [l.name, l.weights.map((w) => [w.name, w.shape])]),
      layers.map((l) => [l.name, l.weights.map((w) => [w.name, w.shape])]),
    );
    layers.forEach((l, i) =>
      l.weights.forEach((w, j) => t.true(bytesOf(file.layers[i]!.weights[j]!.data).equals(bytesOf(w.data)), `${l.name}/${w.name}`)),
    );
  }
});

test('options set the backend and keras_version attrs', async (t) => {
  const path = tmp('opts.h5');
  await writeLegacyWeights(path, layers, { kerasVersion: '2.13.1', backend: 'tensorflow' });
  const file = await readKerasFile(path);
  t.is(file.kerasVersion, '2.13.1');
  t.is(file.backend, 'tensorflow');
});

test('many long layer names are split into layer_names0, layer_names1, … like Keras, and read back', async (t) => {
  const path = tmp('many.h5');
  const many = Array.from({ length: 2000 }, (_, i) => ({ name: `a_rather_long_layer_name_for_testing_chunks_${i}`, weights: [] }));
  await writeLegacyWeights(path, many);
  const h5wasm = await loadH5();
  const f = new h5wasm.File(path, 'r');
  const attrNames = Object.keys(f.attrs).sort();
  f.close();
  t.true(attrNames.includes('layer_names0') && attrNames.includes('layer_names1') && !attrNames.includes('layer_names'));
  t.deepEqual((await readKerasFile(path)).layers.map((l) => l.name), many.map((l) => l.name));
});

test('a rejected write leaves the existing file untouched and no temp file behind', async (t) => {
  const path = tmp('keep.h5');
  await writeFile(path, 'previous content');
  const bad: LayerWeights[] = [{ name: 'd', weights: [{ name: 'd/kernel:0', shape: [2, 2], data: new Float32Array(3) }] }];
  const err = await t.throwsAsync(writeLegacyWeights(path, bad), { instanceOf: UserError });
  t.regex(err.message, /'d'.*\[2, 2\] but 3 values/);
  t.is(await readFile(path, 'utf8'), 'previous content');
  t.deepEqual((await readdir(dirname(path))).filter((f) => f.endsWith('.tmp')), []);
});

test('duplicate layer or weight names are refused before anything is written', async (t) => {
  const w = { name: 'x:0', shape: [1], data: new Float32Array(1) };
  await t.throwsAsync(writeLegacyWeights(tmp('dup1.h5'), [{ name: 'a', weights: [] }, { name: 'a', weights: [] }]), { instanceOf: UserError });
  await t.throwsAsync(writeLegacyWeights(tmp('dup2.h5'), [{ name: 'a', weights: [w, w] }]), { instanceOf: UserError });
  await t.throwsAsync(writeLegacyWeights(tmp('slash.h5'), [{ name: 'a/b', weights: [] }]), { instanceOf: UserError });
});

import test from 'ava';
import { copyFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { readKerasFile, type KerasFile } from '../src/keras/index.ts';
import { loadH5 } from '../src/keras/h5.ts';
import { UserError } from '../src/errors.ts';
import {
  values,
  writeFullModelFixture,
  writeKeras3Fixture,
  writeLegacyFixture,
  type FixtureLayer,
  type StringStyle,
} from './keras-fixtures.ts';
import { tempDir } from './helpers/temp-dir.ts';

const dir = await tempDir('tk-keras-');
let n = 0;
const tmp = (name: string) => join(dir, `${n++}-${name}`);

/** A small model's worth of layers: a weightless input, a conv, a weightless flatten, a dense. */
function layersWithNames(style: 'keras1' | 'keras2' | 'tfkeras-dup'): FixtureLayer[] {
  const name = (layer: string, w: string, k1: string) =>
    style === 'keras1' ? `${layer}_${k1}` : style === 'keras2' ? `${layer}/${w}:0` : `${layer}_1/${w}:0`;
  return [
    { name: 'input_1', weights: [] },
    {
      name: 'block1_conv1',
      weights: [
        { name: name('block1_conv1', 'kernel', 'W_1:0'), shape: [3, 3, 2, 4], data: values(72, 1) },
        { name: name('block1_conv1', 'bias', 'b_1:0'), shape: [4], data: values(4, 2) },
      ],
    },
    { name: 'flatten', weights: [] },
    {
      name: 'fc1',
      weights: [
        { name: name('fc1', 'kernel', 'W_1:0'), shape: [6, 3], data: values(18, 3) },
        { name: name('fc1', 'bias', 'b_1:0'), shape: [3], data: values(3, 4) },
      ],
    },
  ];
}

function assertSameLayers(t: import('ava').ExecutionContext, got: KerasFile['layers'], want: FixtureLayer[]) {
  t.deepEqual(
    got.map((l) => [l.name, l.weights.map((w) => [w.name, w.shape])]),
    want.map((l) => [l.name, l.weights.map((w) => [w.name, w.shape])]),
  );
  want.forEach((l, i) =>
    l.weights.forEach((w, j) => {
      const data = got[i]!.weights[j]!.data;
      t.true(data instanceof Float32Array);
      t.deepEqual(Array.from(data), Array.from(Float32Array.from(w.data)), `${l.name}/${w.name}`);
    }),
  );
}

for (const style of ['fixed', 'vlen', 'fortran'] as StringStyle[]) {
  test(`legacy save_weights with ${style}-length string attrs reads exactly`, async (t) => {
    const path = tmp(`legacy-${style}.h5`);
    const layers = layersWithNames('keras2');
    await writeLegacyFixture(path, { layers, kerasVersion: '2.2.4', backend: 'tensorflow', style });
    const file = await readKerasFile(path);
    t.is(file.format, 'legacy-weights');
    t.is(file.kerasVersion, '2.2.4');
    t.is(file.backend, 'tensorflow');
    assertSameLayers(t, file.layers, layers);
  });
}

test('Keras 1 weight names and missing keras_version/backend attrs', async (t) => {
  const path = tmp('keras1.h5');
  const layers = layersWithNames('keras1');
  await writeLegacyFixture(path, { layers });
  const file = await readKerasFile(path);
  t.is(file.kerasVersion, undefined);
  t.is(file.backend, undefined);
  t.is(file.layers[1]!.weights[0]!.name, 'block1_conv1_W_1:0');
  assertSameLayers(t, file.layers, layers);
});

test('tf.keras duplicate-suffixed weight names (dense_1_1/kernel:0) are found through weight_names', async (t) => {
  const path = tmp('tfkeras.h5');
  const layers = layersWithNames('tfkeras-dup');
  await writeLegacyFixture(path, { layers, kerasVersion: '2.2.4-tf', backend: 'tensorflow' });
  assertSameLayers(t, (await readKerasFile(path)).layers, layers);
});

test('weight order is the file weight_names order, not the alphabetical dataset order', async (t) => {
  const path = tmp('order.h5');
  const layers: FixtureLayer[] = [
    {
      name: 'bn',
      weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w, i) => ({
        name: `bn/${w}:0`,
        shape: [5],
        data: values(5, 10 + i),
      })),
    },
  ];
  await writeLegacyFixture(path, { layers, kerasVersion: '2.0.8' });
  const file = await readKerasFile(path);
  t.deepEqual(file.layers[0]!.weights.map((w) => w.name), ['bn/gamma:0', 'bn/beta:0', 'bn/moving_mean:0', 'bn/moving_variance:0']);
  assertSameLayers(t, file.layers, layers);
});

test('chunked layer_names0/layer_names1 attrs (Keras splits attrs over 64 KiB)', async (t) => {
  const path = tmp('chunked.h5');
  const layers = layersWithNames('keras2');
  await writeLegacyFixture(path, { layers, kerasVersion: '2.4.0', chunkLayerNames: true });
  assertSameLayers(t, (await readKerasFile(path)).layers, layers);
});

test('float64 and int datasets become Float32Array', async (t) => {
  const path = tmp('dtypes.h5');
  const doubles = Float64Array.from({ length: 6 }, (_, i) => i / 3);
  await writeLegacyFixture(path, {
    layers: [
      {
        name: 'd',
        weights: [
          { name: 'd/kernel:0', shape: [2, 3], data: Float32Array.from(doubles), dtype: '<d' },
          { name: 'd/bias:0', shape: [3], data: Float32Array.of(1, -2, 3), dtype: '<i' },
        ],
      },
    ],
  });
  const [kernel, bias] = (await readKerasFile(path)).layers[0]!.weights;
  t.deepEqual(Array.from(kernel!.data), Array.from(Float32Array.from(doubles)));
  t.deepEqual(Array.from(bias!.data), [1, -2, 3]);
});

test('legacy full model: model_config and training_config parsed, optimizer_weights ignored', async (t) => {
  const path = tmp('full.h5');
  const layers = layersWithNames('keras2');
  const modelConfig = { class_name: 'Sequential', config: { name: 'seq', layers: [{ class_name: 'Dense', config: { name: 'fc1' } }] } };
  const trainingConfig = { loss: 'categorical_crossentropy', optimizer_config: { class_name: 'Adam' } };
  await writeFullModelFixture(path, { layers, kerasVersion: '2.4.0', backend: 'tensorflow', modelConfig, trainingConfig });
  const file = await readKerasFile(path);
  t.is(file.format, 'legacy-model');
  t.is(file.kerasVersion, '2.4.0');
  t.deepEqual(file.modelConfig, modelConfig);
  t.deepEqual(file.trainingConfig, trainingConfig);
  assertSameLayers(t, file.layers, layers);
});

// Keras 3 names weight groups by class (`dense`, `dense_1`, `sequential/layers/conv2d`), not by layer name.
const keras3Tree = {
  input_layer: {},
  dense: { vars: [{ name: 'k', shape: [4, 3], data: values(12, 20) }, { name: 'b', shape: [3], data: values(3, 21) }] },
  dropout: {},
  sequential: {
    layers: {
      conv2d: { vars: [{ name: 'k', shape: [1, 1, 3, 2], data: values(6, 22) }, { name: 'b', shape: [2], data: values(2, 23) }] },
      batch_normalization: { vars: Array.from({ length: 4 }, (_, i) => ({ name: `v${i}`, shape: [2], data: values(2, 24 + i) })) },
    },
  },
  custom_layer: { vars: Array.from({ length: 12 }, (_, i) => ({ name: `v${i}`, shape: [1], data: Float32Array.of(i) })) },
  multi_head_attention: { children: { query_dense: { vars: [{ name: 'q', shape: [2, 2], data: values(4, 30) }] } } },
};

test('Keras 3 .weights.h5: layers/<name>/vars/<i>, nested model flattened, optimizer skipped', async (t) => {
  const path = tmp('model.weights.h5');
  await writeKeras3Fixture(path, keras3Tree);
  const file = await readKerasFile(path);
  t.is(file.format, 'keras3-weights');
  const byName = new Map(file.layers.map((l) => [l.name, l]));
  t.deepEqual([...byName.keys()].sort(), ['batch_normalization', 'conv2d', 'custom_layer', 'dense', 'dropout', 'input_layer', 'multi_head_attention']);
  t.is(byName.get('conv2d')!.path, 'layers/sequential/layers/conv2d');
  t.deepEqual(byName.get('conv2d')!.weights[0]!.shape, [1, 1, 3, 2]);
  t.deepEqual(Array.from(byName.get('conv2d')!.weights[0]!.data), Array.from(values(6, 22)));
  t.deepEqual(byName.get('dense')!.weights.map((w) => w.name), ['vars/0', 'vars/1']);
  t.deepEqual(byName.get('dropout')!.weights, []);
  // vars/10 and vars/11 come after vars/9, not after vars/1.
  t.deepEqual(Array.from(byName.get('custom_layer')!.weights.map((w) => w.data[0])), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  t.deepEqual(byName.get('multi_head_attention')!.weights.map((w) => w.name), ['query_dense/vars/0']);
});

async function kerasArchive(entries: Record<string, Uint8Array>): Promise<string> {
  const path = tmp('model.keras');
  await writeFile(path, zipSync(entries));
  return path;
}

/** Our archive reader's temp folders (test folders carry '-test-'). */
async function readerTempDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('transferkit-keras-') && !name.includes('-test-'));
}

test.serial('.keras archive: config order, keras_version from metadata.json, temp copy removed', async (t) => {
  const before = await readerTempDirs();
  const weightsPath = tmp('inner.weights.h5');
  await writeKeras3Fixture(weightsPath, keras3Tree);
  // As Keras 3 writes it: real layer names in the config, class-based paths in the weights.
  const layer = (class_name: string, name: string, layers?: unknown[]) => ({ class_name, config: { name, ...(layers ? { layers } : {}) } });
  const config = {
    class_name: 'Functional',
    config: {
      layers: [
        layer('InputLayer', 'x'),
        layer('Dense', 'fc'),
        layer('Sequential', 'inner', [layer('InputLayer', 'inner_input'), layer('Conv2D', 'c1'), layer('BatchNormalization', 'bn')]),
        layer('Dropout', 'drop'),
        layer('CustomLayer', 'custom'),
        layer('MultiHeadAttention', 'mha'),
      ],
    },
  };
  const path = await kerasArchive({
    'config.json': strToU8(JSON.stringify(config)),
    'metadata.json': strToU8(JSON.stringify({ keras_version: '3.3.3', date_saved: '2024-05-01' })),
    'model.weights.h5': new Uint8Array(await readFile(weightsPath)),
  });
  const file = await readKerasFile(path);
  t.is(file.format, 'keras-archive');
  t.is(file.kerasVersion, '3.3.3');
  t.deepEqual(file.modelConfig, config);
  t.deepEqual(
    file.layers.map((l) => l.path),
    [
      'layers/input_layer',
      'layers/dense',
      'layers/sequential/layers/conv2d',
      'layers/sequential/layers/batch_normalization',
      'layers/dropout',
      'layers/custom_layer',
      'layers/multi_head_attention',
    ],
  );
  t.deepEqual(await readerTempDirs(), before);
});

for (const evil of ['../evil.txt', '/etc/evil', 'a/../../evil', 'a\\..\\evil', 'C:/evil']) {
  test(`.keras archive with an entry escaping it is refused: ${evil}`, async (t) => {
    const path = await kerasArchive({ 'config.json': strToU8('{}'), 'model.weights.h5': strToU8('x'), [evil]: strToU8('pwned') });
    const err = await t.throwsAsync(readKerasFile(path), { instanceOf: UserError });
    t.true(err.message.includes(path) && err.message.includes('outside the archive'), err.message);
  });
}

test('zip without model.weights.h5 is refused', async (t) => {
  const path = await kerasArchive({ 'config.json': strToU8('{}') });
  const err = await t.throwsAsync(readKerasFile(path), { instanceOf: UserError });
  t.regex(err.message, /without 'model\.weights\.h5'/);
});

test('format comes from the bytes: a legacy file named .keras and a zip named .h5 both read', async (t) => {
  const h5 = tmp('really-legacy.keras');
  await writeLegacyFixture(h5, { layers: layersWithNames('keras2'), kerasVersion: '2.1.0' });
  t.is((await readKerasFile(h5)).format, 'legacy-weights');
  const weightsPath = tmp('w.weights.h5');
  await writeKeras3Fixture(weightsPath, keras3Tree);
  const zipPath = tmp('really-archive.h5');
  await writeFile(zipPath, zipSync({ 'model.weights.h5': new Uint8Array(await readFile(weightsPath)) }));
  t.is((await readKerasFile(zipPath)).format, 'keras-archive');
});

test('bad files give one-line UserErrors naming the file', async (t) => {
  const good = tmp('good.h5');
  await writeLegacyFixture(good, { layers: layersWithNames('keras2'), kerasVersion: '2.4.0' });
  const truncated = tmp('truncated.h5');
  await copyFile(good, truncated);
  const { size } = await stat(good);
  await truncate(truncated, Math.floor(size / 2));
  const empty = tmp('empty.h5');
  await writeFile(empty, '');
  const text = tmp('text.h5');
  await writeFile(text, 'this is not HDF5\n');
  const notKeras = tmp('plain.h5');
  const h5wasm = await loadH5();
  const f = new h5wasm.File(notKeras, 'w');
  f.create_dataset({ name: 'x', data: new Float32Array([1, 2]) });
  f.close();

  const cases: [string, RegExp][] = [
    [truncated, /truncated HDF5 file/],
    [empty, /empty/],
    [text, /neither HDF5 nor a zip/],
    [notKeras, /not a Keras one/],
    [join(dir, 'missing.h5'), /no such file/],
    [dir, /is a folder/],
  ];
  for (const [path, pattern] of cases) {
    const err = await t.throwsAsync(readKerasFile(path), { instanceOf: UserError });
    t.regex(err.message, pattern);
    t.true(err.message.startsWith(path), err.message);
    t.false(err.message.includes('\n'), err.message);
  }
  // After all those failures h5wasm still works.
  t.is((await readKerasFile(good)).layers.length, 4);
});

/**
 * Written by h5py 3 / numpy (float16 kernel, big-endian float32 bias), which h5wasm cannot produce:
 *   f.attrs['layer_names'] = np.array([b'd']); g.attrs['weight_names'] = np.array([b'd/kernel:0', b'd/bias:0'])
 *   g['d/kernel:0'] = np.array([[0.5, -1.25, 3.0], [65504, 1e-4, -0.0]], dtype='<f2')
 *   g['d/bias:0'] = np.array([1.5, -2.25, 1e30], dtype='>f4')
 */
const H5PY_FLOAT16_FILE =
  'iUhERg0KGgoDCAgAAAAAAAAAAAD//////////xgIAAAAAAAAMAAAAAAAAAAJvGz9T0hEUgIAeAISAAAAAP//////////////////' +
  '//8KAgABAAAVEgAEAAD/////////////////////DDIAAAMADAAIABQAAGxheWVyX25hbWVzABMBAAABAAAAAgEBAQEAAAAAAAAA' +
  'AQAAAAAAAABkBgwAAAEAAWSzAAAAAAAAAHtz9OVPSERSAgB8EBAAAL0BAAAAAAAALgAAAAAAAAAKAgABAAAVEgAEAAD/////////' +
  '////////////DEYAAAMADQAIABQAAHdlaWdodF9uYW1lcwATAQAACgAAAAIBAQECAAAAAAAAAAIAAAAAAAAAZC9rZXJuZWw6MGQv' +
  'YmlhczowAAAAAH0h3+pPSERSAgB4AhIAAAAA/////////////////////woCAAEAAAYTAAABAAhrZXJuZWw6MOsBAAAAAAAABhEA' +
  'AAEABmJpYXM6MPcCAAAAAAAAACwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACRnkQ09DSEsC' +
  'EgAAAAD/////////////////////BgwAAAEAAWQ6AQAAAAAAAPIqO5tPSERSAgEAAQEkAAACAgEBAgAAAAAAAAADAAAAAAAAAAIA' +
  'AAAAAAAAAwAAAAAAAAADFAABESAPAAIAAAAAABAACgUACg8AAAAFAgABAwoIEgAAAwEACAAAAAAAAAwAAAAAAAAAAKAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAA8DpYhT0hEUgIBAAEBFAAAAgEBAQMAAAAAAAAAAwAAAAAAAAADFAABESEfAAQAAAAAACAAFwgAF38AAAAFAgABAwoIEgAA' +
  'AwEMCAAAAAAAAAwAAAAAAAAAALAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAcWcJOAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAOAC9AEL/e44GAIA/wAAAwBAAAHFJ8so=';

test('float16 and big-endian float32 datasets (h5py-written) become exact Float32Array', async (t) => {
  const path = tmp('float16.h5');
  await writeFile(path, Buffer.from(H5PY_FLOAT16_FILE, 'base64'));
  const [kernel, bias] = (await readKerasFile(path)).layers[0]!.weights;
  t.deepEqual(kernel!.shape, [2, 3]);
  // 1e-4 is not representable in float16; 0.00010001659393310547 is the nearest half, as numpy gives.
  t.deepEqual(Array.from(kernel!.data), [0.5, -1.25, 3, 65504, 0.00010001659393310547, -0]);
  t.true(Object.is(kernel!.data[5], -0));
  t.deepEqual(Array.from(bias!.data), Array.from(Float32Array.of(1.5, -2.25, 1e30)));
});

test('a truncated .keras archive is a one-line UserError', async (t) => {
  const weightsPath = tmp('t.weights.h5');
  await writeKeras3Fixture(weightsPath, keras3Tree);
  const bytes = zipSync({ 'config.json': strToU8('{}'), 'model.weights.h5': new Uint8Array(await readFile(weightsPath)) });
  const path = tmp('truncated.keras');
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const err = await t.throwsAsync(readKerasFile(path), { instanceOf: UserError });
  t.true(err.message.startsWith(path), err.message);
  t.false(err.message.includes('\n'));
});

test('randomly corrupted HDF5 metadata never escapes as anything but a one-line UserError', async (t) => {
  const good = tmp('to-corrupt.h5');
  await writeFullModelFixture(good, { layers: layersWithNames('keras2'), kerasVersion: '2.4.0', modelConfig: { class_name: 'Sequential' } });
  const original = await readFile(good);
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let failures = 0;
  for (let i = 0; i < 30; i++) {
    const bytes = Buffer.from(original);
    const at = 64 + Math.floor(random() * Math.min(bytes.length - 128, 6000));
    for (let j = 0; j < 32; j++) bytes[at + j] = Math.floor(random() * 256);
    const path = tmp(`corrupt-${i}.h5`);
    await writeFile(path, bytes);
    try {
      await readKerasFile(path);
    } catch (err) {
      failures++;
      t.true(err instanceof UserError, String(err));
      t.false((err as Error).message.includes('\n'), (err as Error).message);
    }
  }
  t.true(failures > 0, 'the corruption should break at least one file');
  t.is((await readKerasFile(good)).layers.length, 4);
});

test.serial('a file rewritten at the same path is read again, not served from the last read', async (t) => {
  const path = tmp('rewritten.h5');
  const layers = layersWithNames('keras2');
  await writeLegacyFixture(path, { layers, kerasVersion: '2.2.4', backend: 'tensorflow', style: 'fixed' });
  t.is((await readKerasFile(path)).kerasVersion, '2.2.4');
  t.is(await readKerasFile(path), await readKerasFile(path), 'an unchanged file is read once');
  const changed = layers.map((l) => ({ ...l, weights: l.weights.map((w) => ({ ...w, data: w.data.map((v) => v + 1) })) }));
  await writeLegacyFixture(path, { layers: changed, kerasVersion: '2.3.1', backend: 'tensorflow', style: 'fixed' });
  const again = await readKerasFile(path);
  t.is(again.kerasVersion, '2.3.1');
  assertSameLayers(t, again.layers, changed);
});

import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readKerasFile, type KerasFileFormat } from '../../src/keras/index.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const kerasDir = resolve(repo, '..', 'shared', 'keras-h5');
const cli = join(repo, 'bin', 'transferkit.js');

interface Expected {
  format: KerasFileFormat;
  kerasVersion: string;
  /** Layer names in file order (weightless layers included, as Keras lists them). */
  layers: string[];
  /** Model-weight parameters (the README's count includes optimizer state for full models). */
  params: number;
}

// The truth, from looking at each file's HDF5 tree and ../shared/README.md.
const EXPECTED: Record<string, Expected> = {
  'KERAS_3layer_weights.h5': {
    format: 'legacy-weights',
    kerasVersion: '2.0.0',
    layers: ['input_1', 'fc1_relu', 'fc2_relu', 'fc3_relu', 'output_softmax'],
    params: 4389,
  },
  'KERAS_3layer_batch_norm_weights.h5': {
    format: 'legacy-weights',
    kerasVersion: '2.0.8',
    layers: ['input_1', 'fc1_relu', 'bn1', 'relu1', 'fc2_relu', 'bn2', 'relu2', 'fc3_relu', 'bn3', 'relu3', 'output_softmax', 'bn4', 'softmax'],
    params: 4921,
  },
  'KERAS_conv2d_model_weights.h5': {
    format: 'legacy-weights',
    kerasVersion: '2.0.0',
    layers: ['conv2d_1', 'dropout_1', 'flatten_1', 'dense_1'],
    params: 1310,
  },
  'iris_model_keras2.1.1.h5': {
    format: 'legacy-model',
    kerasVersion: '2.1.1',
    layers: ['dense_1', 'activation_1', 'dense_2', 'activation_2'],
    params: 4 * 16 + 16 + 16 * 3 + 3,
  },
  'xor_keras2.2.4.h5': {
    format: 'legacy-model',
    kerasVersion: '2.2.4',
    layers: ['dense_1', 'activation_1', 'dense_2', 'activation_2'],
    params: 2 * 2 + 2 + 2 + 1,
  },
  'xor_keras2.2.4-tf.h5': {
    format: 'legacy-model',
    kerasVersion: '2.2.4-tf',
    layers: ['dense', 'dense_1', 'dense_2', 'dense_3', 'output'],
    params: 2 * 64 + 64 + 3 * (64 * 64 + 64) + 64 + 1,
  },
  'mnist_cnn_keras2.4.0.h5': {
    format: 'legacy-model',
    kerasVersion: '2.4.0',
    layers: ['conv2d', 'max_pooling2d', 'conv2d_1', 'max_pooling2d_1', 'flatten', 'dropout', 'dense'],
    params: 3 * 3 * 32 + 32 + 3 * 3 * 32 * 64 + 64 + 1600 * 10 + 10,
  },
  'vgg16_bottleneck_head_keras2.2.4.h5': {
    format: 'legacy-weights',
    kerasVersion: '2.2.4',
    layers: ['flatten_1', 'dense_1', 'dropout_1', 'dense_2'],
    params: 131842,
  },
};

const countParams = (shapes: number[][]) => shapes.reduce((sum, s) => sum + s.reduce((a, b) => a * b, 1), 0);

test('every .h5 in ../shared/keras-h5 has an expectation here', async (t) => {
  const files = (await readdir(kerasDir)).filter((f) => f.endsWith('.h5')).sort();
  t.deepEqual(files, Object.keys(EXPECTED).sort());
});

for (const [name, want] of Object.entries(EXPECTED)) {
  test(`reads ${name}`, async (t) => {
    const file = await readKerasFile(join(kerasDir, name));
    t.is(file.format, want.format);
    t.is(file.kerasVersion, want.kerasVersion);
    t.is(file.backend, 'tensorflow');
    t.deepEqual(file.layers.map((l) => l.name), want.layers);
    t.is(countParams(file.layers.flatMap((l) => l.weights.map((w) => w.shape))), want.params);
    for (const w of file.layers.flatMap((l) => l.weights)) t.is(w.data.length, countParams([w.shape]));
    if (want.format === 'legacy-model') t.truthy(file.modelConfig);
  });

  test(`transferkit inspect ${name} exits 0 and lists the layers`, async (t) => {
    const { stdout } = await run(process.execPath, [cli, 'inspect', join(kerasDir, name)], { cwd: repo });
    for (const layer of want.layers) t.regex(stdout, new RegExp(`^  ${layer}  `, 'm'));
    t.regex(stdout, new RegExp(`Total params: ${want.params.toLocaleString('en-US')}\\b`));
  });
}

// One --json run is enough: each CLI start costs seconds of CPU, and the data is the same.
test('transferkit inspect --json prints the description as JSON', async (t) => {
  const want = EXPECTED['mnist_cnn_keras2.4.0.h5']!;
  const { stdout } = await run(process.execPath, [cli, 'inspect', '--json', join(kerasDir, 'mnist_cnn_keras2.4.0.h5')], { cwd: repo });
  const json = JSON.parse(stdout);
  t.is(json.format, 'legacy-model');
  t.is(json.kerasVersion, '2.4.0');
  t.deepEqual(json.layers.map((l: { name: string }) => l.name), want.layers);
  t.deepEqual(json.layers[0].weights, [{ name: 'conv2d/kernel:0', shape: [3, 3, 1, 32] }, { name: 'conv2d/bias:0', shape: [32] }]);
  t.is(json.totalParams, want.params);
});

test('tf.keras dense_1 whose weights are stored as dense_1_1/kernel:0 reads by weight_names', async (t) => {
  const file = await readKerasFile(join(kerasDir, 'xor_keras2.2.4-tf.h5'));
  const dense1 = file.layers.find((l) => l.name === 'dense_1')!;
  t.deepEqual(dense1.weights.map((w) => [w.name, w.shape]), [['dense_1_1/kernel:0', [64, 64]], ['dense_1_1/bias:0', [64]]]);
});

test('inspect on a truncated copy, an empty file and a text file: one line on stderr, exit 1', async (t) => {
  const dir = await tempDir('tk-shared-inspect-');
  const source = join(kerasDir, 'mnist_cnn_keras2.4.0.h5');
  const truncated = join(dir, 'truncated.h5');
  await copyFile(source, truncated);
  await truncate(truncated, Math.floor((await stat(source)).size / 3));
  const empty = join(dir, 'empty.h5');
  await writeFile(empty, '');
  const text = join(dir, 'notes.h5');
  await writeFile(text, 'model weights are in the other folder\n');
  for (const [path, reason] of [
    [truncated, /truncated HDF5 file/],
    [empty, /empty/],
    [text, /neither HDF5 nor a zip/],
  ] as const) {
    const err = await t.throwsAsync(run(process.execPath, [cli, 'inspect', path], { cwd: repo }));
    const { code, stderr, stdout } = err as unknown as { code: number; stderr: string; stdout: string };
    t.is(code, 1, path);
    t.is(stdout, '');
    t.is(stderr.trimEnd().split('\n').length, 1, stderr);
    t.regex(stderr, reason);
    t.true(stderr.includes(path));
    t.notRegex(stderr, /\bat .*\.ts:\d+|HDF5-DIAG/);
  }
});

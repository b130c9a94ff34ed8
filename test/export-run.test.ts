import test from 'ava';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { EXPORT_FILES, exportRun, type ExportSidecar } from '../src/export/export-run.ts';
import { loadTfjsModel } from '../src/export/tfjs-files.ts';
import { readKerasFile } from '../src/keras/index.ts';
import { loadKerasModel } from '../src/keras/load-model.ts';
import { imagesToTensor } from '../src/models/preprocess.ts';
import { loadRun } from '../src/run/load-run.ts';
import { trainTinyRun } from './evaluate-fixture.ts';

// BatchNorm in the head: the one layer whose inference maths differs from training in every format.
const { tmp, data, runDir } = await trainTinyRun('tk-export-', { batchnorm: true });
const images = (await readdir(join(data, 'validation', 'circles'))).map((f) => join(data, 'validation', 'circles', f));
images.push(...(await readdir(join(data, 'validation', 'squares'))).map((f) => join(data, 'validation', 'squares', f)));

/** The run's own probabilities on its validation images, and the preprocessed batch. */
const run = await loadRun(runDir);
const xs = await imagesToTensor(images, run.preprocessing);
const expected = tf.tidy(() => (run.model.predict(xs) as tf.Tensor).dataSync() as Float32Array);
const pixels = xs.dataSync() as Float32Array;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}

async function predictWith(model: tf.LayersModel): Promise<Float32Array> {
  const y = tf.tidy(() => model.predict(xs) as tf.Tensor);
  const out = (await y.data()) as Float32Array;
  y.dispose();
  model.dispose();
  return out;
}

async function sidecar(dir: string): Promise<ExportSidecar> {
  return JSON.parse(await readFile(join(dir, EXPORT_FILES.sidecar), 'utf8')) as ExportSidecar;
}

test.serial('keras-h5: a full-model .h5 our reader and loadKerasModel load back, same predictions to 1e-4', async (t) => {
  const result = await exportRun(runDir, 'keras-h5');
  t.is(result.dir, join(runDir, 'export', 'keras-h5'));
  const file = await readKerasFile(join(result.dir, 'model.h5'));
  t.truthy(file.modelConfig);
  t.true(file.layers.some((l) => l.name === 'block5_conv3'));
  t.true(maxDiff(await predictWith(await loadKerasModel(join(result.dir, 'model.h5'))), expected) < 1e-4);
  const meta = await sidecar(result.dir);
  t.deepEqual(meta.classes, ['circles', 'squares']);
  t.deepEqual(meta.input.shape, [null, 32, 32, 3]);
  t.is(meta.preprocessing.mode, 'caffe');
  t.deepEqual(meta.preprocessing.bgrMeans, [103.939, 116.779, 123.68]);
});

test.serial('tfjs: model.json + weights.bin that tf.loadLayersModel loads, same predictions to 1e-4', async (t) => {
  const out = join(tmp, 'tfjs-export');
  const result = await exportRun(runDir, 'tfjs', { out });
  t.deepEqual((await readdir(out)).sort(), ['model.json', 'transferkit.json', 'weights.bin']);
  const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as { format: string; weightsManifest: { paths: string[] }[] };
  t.is(json.format, 'layers-model');
  t.deepEqual(json.weightsManifest[0]!.paths, ['weights.bin']);
  t.true(maxDiff(await predictWith(await loadTfjsModel(out)), expected) < 1e-4);
  t.is((await sidecar(out)).modelFormat, 'tfjs');
  t.is(result.files.length, 3);
});

test.serial('onnx: the whole model runs in onnxruntime-node, same predictions to 1e-4', async (t) => {
  const result = await exportRun(runDir, 'onnx');
  const meta = await sidecar(result.dir);
  const session = await InferenceSession.create(join(result.dir, 'model.onnx'));
  const feeds = { [meta.input.name]: new OrtTensor('float32', pixels, xs.shape) };
  const outputs = await session.run(feeds);
  const got = outputs[meta.output.name]!.data as Float32Array;
  t.deepEqual(outputs[meta.output.name]!.dims, [images.length, 2]);
  t.true(maxDiff(got, expected) < 1e-4, `max diff ${maxDiff(got, expected)}`);
  await session.release();
});

test.serial('re-exporting replaces the folder whole, leaving no temp files', async (t) => {
  const out = join(tmp, 'again');
  await exportRun(runDir, 'onnx', { out });
  await exportRun(runDir, 'tfjs', { out });
  t.deepEqual((await readdir(out)).sort(), ['model.json', 'transferkit.json', 'weights.bin']);
  t.deepEqual((await readdir(tmp)).filter((f) => f.endsWith('.tmp')), []);
});

test.serial('exporting leaves no tensors behind', async (t) => {
  const before = tf.memory().numTensors;
  await exportRun(runDir, 'tfjs', { out: join(tmp, 'leak') });
  t.is(tf.memory().numTensors, before);
});

test.after.always(async () => {
  xs.dispose();
  run.model.dispose();
  // ~400 MB of weights, cache, run and exports per run of the suite.
  await rm(tmp, { recursive: true, force: true });
});

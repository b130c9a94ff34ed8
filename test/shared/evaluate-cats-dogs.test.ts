import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { exportRun } from '../../src/export/export-run.ts';
import { loadTfjsModel } from '../../src/export/tfjs-files.ts';
import { loadKerasModel } from '../../src/keras/load-model.ts';
import { initWeights } from '../../src/models/init-weights.ts';
import { imagesToTensor } from '../../src/models/preprocess.ts';
import { evaluateRun } from '../../src/inference/evaluate.ts';
import { predictRun } from '../../src/inference/predict-run.ts';
import { loadRun } from '../../src/run/load-run.ts';
import { train } from '../../src/training/train.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const shared = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared');
const data = join(shared, 'datasets', 'cats-dogs');
const tmp = await tempDir('tk-evaluate-cats-dogs-');
const notop = join(tmp, 'notop.h5');
await initWeights(notop, { includeTop: false, seed: 0 });
const runDir = join(tmp, 'freeze');
// 64x64 instead of 224: evaluate/predict/export run the whole stitched model on tfjs (wasm ~1.5 img/s at 224).
await train(data, { strategy: 'freeze', epochs: 2, inputSize: 64, weights: notop, cache: join(tmp, 'cache'), out: runDir, batchSize: 16 });

test.serial('evaluate: the 120 validation images, per-class figures and a confusion matrix summing to them', async (t) => {
  const report = await evaluateRun(runDir);
  t.is(report.data.source, 'run-validation');
  t.is(report.data.images, 120);
  t.deepEqual(report.classes, ['cats', 'dogs']);
  t.deepEqual(report.perClass.map((c) => c.support), [60, 60]);
  t.is(report.confusion.flat().reduce((a, b) => a + b, 0), 120);
  t.is(report.accuracy, (report.confusion[0]![0]! + report.confusion[1]![1]!) / 120);
  t.deepEqual(report.unreadable, []);
});

test.serial('predict: a folder of photos gets top-2 classes with names', async (t) => {
  const result = await predictRun(runDir, [join(data, 'validation', 'cats')], { top: 2 });
  t.is(result.predictions.length, 60);
  t.deepEqual(result.unreadable, []);
  for (const p of result.predictions) {
    t.deepEqual(p.predictions.map((c) => c.class).sort(), ['cats', 'dogs']);
    t.true(Math.abs(p.predictions[0]!.probability + p.predictions[1]!.probability - 1) < 1e-5);
  }
});

test.serial('exports (Keras .h5, tfjs, ONNX) load back and agree with the run to 1e-4', async (t) => {
  const dir = join(data, 'validation', 'dogs');
  const images = (await readdir(dir)).slice(0, 8).map((f) => join(dir, f));
  const run = await loadRun(runDir);
  const xs = await imagesToTensor(images, run.preprocessing);
  const predict = (model: tf.LayersModel): Float32Array => tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync() as Float32Array);
  const expected = predict(run.model);
  const close = (got: ArrayLike<number>, what: string): void => {
    const diff = Math.max(...Array.from(expected, (e, i) => Math.abs(e - got[i]!)));
    t.true(got.length === expected.length && diff < 1e-4, `${what}: max diff ${diff}`);
  };

  const h5 = await exportRun(runDir, 'keras-h5');
  const keras = await loadKerasModel(join(h5.dir, 'model.h5'));
  close(predict(keras), 'keras-h5');
  keras.dispose();

  const tfjsDir = await exportRun(runDir, 'tfjs');
  const tfjsModel = await loadTfjsModel(tfjsDir.dir);
  close(predict(tfjsModel), 'tfjs');
  tfjsModel.dispose();

  const onnx = await exportRun(runDir, 'onnx');
  const session = await InferenceSession.create(join(onnx.dir, 'model.onnx'));
  const out = await session.run({ input: new OrtTensor('float32', xs.dataSync() as Float32Array, xs.shape) });
  close(out.output!.data as Float32Array, 'onnx');
  await session.release();

  xs.dispose();
  run.model.dispose();
});

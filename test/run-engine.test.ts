import test from 'ava';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../src/errors.ts';
import type { Preprocessing } from '../src/models/preprocess.ts';
import { evaluateRun, evaluationItems } from '../src/inference/evaluate.ts';
import { EVALUATION_FILES } from '../src/run/files.ts';
import type { EvaluationReport } from '../src/run/schemas.ts';
import { inferImages, runInt8Prefix } from '../src/inference/infer.ts';
import { predictRun } from '../src/inference/predict-run.ts';
import { loadRun } from '../src/run/load-run.ts';
import { trainTinyRun } from './evaluate-fixture.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
// Flatten + batch norm + dropout in the head: every head layer kind the converter must get right.
const { data, runDir } = await trainTinyRun('tk-run-engine-', { head: 'flatten', batchnorm: true, dropout: 0.3 });

function maxDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let worst = 0;
  for (const [i, row] of a.entries()) for (const [c, v] of row.entries()) worst = Math.max(worst, Math.abs(v - b[i]![c]!));
  return worst;
}

test.serial('inferImages: auto runs onnx; its probabilities (softmax included) match the tfjs model to 1e-4; no tensors left', async (t) => {
  const run = await loadRun(runDir);
  const { items } = await evaluationItems(runDir, run);
  const onnx = await inferImages(run.model, items, run.preprocessing, { batchSize: 5, engine: 'auto' });
  const tfjs = await inferImages(run.model, items, run.preprocessing, { batchSize: 5, engine: 'tfjs' });
  t.is(onnx.engine, 'onnx');
  t.regex(tfjs.engine, /^tfjs-/);
  t.deepEqual(onnx.items, tfjs.items);
  t.is(onnx.probabilities.length, items.length);
  t.true(maxDiff(onnx.probabilities, tfjs.probabilities) < 1e-4);
  for (const row of onnx.probabilities) t.true(Math.abs(row[0]! + row[1]! - 1) < 1e-5 && row.every((p) => p >= 0 && p <= 1));
  // The head is not a no-op: images get different probabilities.
  t.true(Math.max(...onnx.probabilities.map((r) => r[0]!)) - Math.min(...onnx.probabilities.map((r) => r[0]!)) > 1e-4);

  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) await inferImages(run.model, items, run.preprocessing, { batchSize: 3, engine: 'onnx' });
  t.is(tf.memory().numTensors, before);
  run.model.dispose();
});

test.serial('evaluateRun: onnx and tfjs write the same evaluation.json figures', async (t) => {
  const reports: EvaluationReport[] = [];
  for (const engine of ['onnx', 'tfjs'] as const) {
    await evaluateRun(runDir, join(data, 'validation'), { engine, worst: 20 });
    reports.push(JSON.parse(await readFile(join(runDir, EVALUATION_FILES.report), 'utf8')) as EvaluationReport);
  }
  const [onnx, tfjs] = reports as [EvaluationReport, EvaluationReport];
  for (const key of ['data', 'classes', 'accuracy', 'perClass', 'macro', 'weighted', 'confusion', 'unreadable'] as const) t.deepEqual(onnx[key], tfjs[key], key);
  t.deepEqual(onnx.confidentlyWrong.map((m) => [m.path, m.predicted]), tfjs.confidentlyWrong.map((m) => [m.path, m.predicted]));
  for (const [i, m] of onnx.confidentlyWrong.entries()) t.true(Math.abs(m.confidence - tfjs.confidentlyWrong[i]!.confidence) < 1e-4);
});

test.serial('predictRun and the predict CLI: onnx probabilities match tfjs to 1e-4', async (t) => {
  const images = join(data, 'validation');
  const tfjs = await predictRun(runDir, [images], { engine: 'tfjs' });
  const onnx = await predictRun(runDir, [images], { engine: 'onnx' });
  const child = spawn(process.execPath, [join(repo, 'bin/transferkit.js'), 'predict', runDir, images, '--engine', 'onnx', '--json'], { cwd: repo });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  const code = await new Promise((done) => child.on('close', done));
  t.is(code, 0);
  const cli = JSON.parse(stdout) as typeof onnx;
  t.is(tfjs.predictions.length, 12);
  for (const result of [onnx, cli]) {
    t.deepEqual(result.predictions.map((p) => p.image), tfjs.predictions.map((p) => p.image));
    for (const [i, p] of result.predictions.entries()) {
      for (const c of p.predictions) {
        const expected = tfjs.predictions[i]!.predictions.find((e) => e.index === c.index)!;
        t.true(Math.abs(c.probability - expected.probability) < 1e-4, p.image);
      }
    }
  }
});

test.serial('a run trained on int8 features predicts and evaluates with its int8 prefix (the features it trained on)', async (t) => {
  const int8Run = await trainTinyRun('tk-run-int8-', { precision: 'int8' });
  const config = JSON.parse(await readFile(join(int8Run.runDir, 'config.json'), 'utf8')) as { precision: { precision: string; calibration: string } };
  t.is(config.precision.precision, 'int8');
  t.regex(await readFile(join(int8Run.runDir, 'report.html'), 'utf8'), /feature precision<\/td><td>int8 \(calibration [0-9a-f]{12}…\): precision int8/);
  const run = await loadRun(int8Run.runDir);
  t.truthy(run.int8);
  const { items } = await evaluationItems(int8Run.runDir, run);
  const int8 = await inferImages(run.model, items, run.preprocessing, { engine: 'onnx', int8Prefix: runInt8Prefix(run) });
  const fp32 = await inferImages(run.model, items, run.preprocessing, { engine: 'onnx' });
  run.model.dispose();
  t.regex(int8.engine, /^onnx-int8 \+ tfjs-/);
  const diff = maxDiff(int8.probabilities, fp32.probabilities);
  t.true(diff > 0 && diff < 0.05, `int8 vs fp32 probabilities differ by ${diff}`);
  const predicted = await predictRun(int8Run.runDir, [join(int8Run.data, 'validation')], { engine: 'onnx' });
  for (const [i, p] of predicted.predictions.entries()) {
    const top = p.predictions[0]!;
    t.true(Math.abs(top.probability - int8.probabilities[i]![top.index]!) < 1e-6, p.image);
  }
  await rm(int8Run.tmp, { recursive: true, force: true });
});

test.serial('a model the converter cannot express: auto falls back to tfjs, onnx is a user error', async (t) => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, dilationRate: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const circles = join(data, 'validation', 'circles');
  const items = (await readdir(circles)).slice(0, 2).map((f) => ({ path: join(circles, f), className: 'circles', classIndex: 0 }));
  const preprocessing: Preprocessing = { mode: 'caffe', size: [8, 8], resize: 'squash' };
  const auto = await inferImages(model, items, preprocessing);
  t.regex(auto.engine, /^tfjs-/);
  t.is(auto.probabilities.length, 2);
  await t.throwsAsync(inferImages(model, items, preprocessing, { engine: 'onnx' }), { instanceOf: UserError, message: /dilated/ });
  model.dispose();
});

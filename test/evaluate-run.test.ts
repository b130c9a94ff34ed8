import test from 'ava';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { UserError } from '../src/errors.ts';
import { imagesToTensor } from '../src/models/preprocess.ts';
import { evaluateModel, evaluateRun, evaluationItems } from '../src/inference/evaluate.ts';
import { EVALUATION_FILES, RUN_FILES } from '../src/run/files.ts';
import type { EvaluationReport } from '../src/run/schemas.ts';
import { loadRun } from '../src/run/load-run.ts';
import { trainTinyRun } from './evaluate-fixture.ts';

const { tmp, data, runDir } = await trainTinyRun('tk-evaluate-');

/** The model's class probabilities straight from the images, as an independent oracle. */
async function oracle(paths: string[]): Promise<number[][]> {
  const run = await loadRun(runDir);
  const xs = await imagesToTensor(paths, run.preprocessing);
  const probs = tf.tidy(() => (run.model.predict(xs) as tf.Tensor).arraySync() as number[][]);
  xs.dispose();
  run.model.dispose();
  return probs;
}

test.serial("default: the run's validation split; figures agree with the model's own outputs; files written", async (t) => {
  const report = await evaluateRun(runDir);
  const manifest = JSON.parse(await readFile(join(runDir, RUN_FILES.manifest), 'utf8')) as { splits: { validation: { path: string; class: string }[] } };
  const val = manifest.splits.validation;
  t.is(report.data.source, 'run-validation');
  t.is(report.data.images, val.length);
  t.deepEqual(report.classes, ['circles', 'squares']);

  const probs = await oracle(val.map((v) => v.path));
  const predicted = probs.map((p) => (p[1]! > p[0]! ? 1 : 0));
  const truth = val.map((v) => report.classes.indexOf(v.class));
  t.is(report.accuracy, predicted.filter((p, i) => p === truth[i]).length / val.length);
  for (let tc = 0; tc < 2; tc++) for (let pc = 0; pc < 2; pc++) t.is(report.confusion[tc]![pc], truth.filter((x, i) => x === tc && predicted[i] === pc).length);
  t.is(report.perClass[0]!.support + report.perClass[1]!.support, val.length);

  const wrong = val.map((v, i) => ({ path: v.path, confidence: Math.max(...probs[i]!) })).filter((_, i) => predicted[i] !== truth[i]);
  t.is(report.confidentlyWrong.length, Math.min(10, wrong.length));
  for (let i = 1; i < report.confidentlyWrong.length; i++) t.true(report.confidentlyWrong[i - 1]!.confidence >= report.confidentlyWrong[i]!.confidence);
  for (const m of report.confidentlyWrong) {
    const o = wrong.find((w) => w.path === m.path)!;
    t.true(Math.abs(o.confidence - m.confidence) < 1e-5, m.path);
    t.not(m.true, m.predicted);
  }

  const saved = JSON.parse(await readFile(join(runDir, EVALUATION_FILES.report), 'utf8')) as EvaluationReport;
  t.deepEqual(saved, JSON.parse(JSON.stringify(report)));
  t.is((await sharp(join(runDir, EVALUATION_FILES.confusion)).metadata()).format, 'png');
});

test.serial('a test/ split in the run data is preferred over validation', async (t) => {
  await mkdir(join(data, 'test'));
  await cp(join(data, 'validation', 'squares'), join(data, 'test', 'squares'), { recursive: true });
  try {
    const run = await loadRun(runDir);
    run.model.dispose();
    const { items, data: source } = await evaluationItems(runDir, run);
    t.is(source.source, 'run-test');
    t.true(items.length > 0 && items.every((i) => i.className === 'squares' && i.classIndex === 1 && i.path.includes(join('test', 'squares'))));
  } finally {
    await rm(join(data, 'test'), { recursive: true });
  }
});

test.serial('DATA_DIR with class folders: every image counts; unreadable files are listed, not fatal', async (t) => {
  const folder = join(tmp, 'holdout');
  await cp(join(data, 'validation'), folder, { recursive: true });
  await writeFile(join(folder, 'circles', 'broken.png'), 'not a png');
  const report = await evaluateRun(runDir, folder, { worst: 2 });
  t.is(report.data.source, 'folder');
  t.is(report.data.split, 'all');
  t.is(report.data.images, 12);
  t.deepEqual(report.unreadable.map((u) => u.path), [join(folder, 'circles', 'broken.png')]);
  t.true(report.confidentlyWrong.length <= 2);
});

test.serial('a class folder the run does not know is refused by name', async (t) => {
  const folder = join(tmp, 'unknown');
  await cp(join(data, 'validation'), folder, { recursive: true });
  await cp(join(folder, 'circles'), join(folder, 'triangles'), { recursive: true });
  const err = await t.throwsAsync(evaluateRun(runDir, folder), { instanceOf: UserError });
  t.regex(err!.message, /triangles.*not classes of this run/);
});

test.serial('evaluating leaves no tensors behind', async (t) => {
  const run = await loadRun(runDir);
  const { items } = await evaluationItems(runDir, run);
  await evaluateModel(run, items);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await evaluateModel(run, items, { batchSize: 5 });
  t.is(tf.memory().numTensors, before);
  run.model.dispose();
});

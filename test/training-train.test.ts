import test from 'ava';
import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../src/data/random.ts';
import { exportRun } from '../src/export/export-run.ts';
import { loadWeights, readKerasFile } from '../src/keras/index.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { imagesToTensor } from '../src/models/preprocess.ts';
import { buildNetwork, disposeNetwork } from '../src/strategies/network.ts';
import { evaluateRun } from '../src/inference/evaluate.ts';
import { predictRun } from '../src/inference/predict-run.ts';
import { RUN_FILES } from '../src/run/files.ts';
import { loadRun } from '../src/run/load-run.ts';
import type { ModelDescription } from '../src/run/schemas.ts';
import { train } from '../src/training/train.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tmp = await tempDir('tk-train-');
const data = join(tmp, 'shapes');
const weights = join(tmp, 'notop.h5');
await makeShapesDataset(data, { perClass: 30, val: 10, seed: 1 });
await initWeights(weights, { includeTop: false, seed: 0 });
const base = { strategy: 'freeze', inputSize: 64, weights, cache: join(tmp, 'cache'), batchSize: 8, lr: 0.01, dense: 0, dropout: 0 } as const;

test.serial('freeze on random-init VGG16 learns red circles vs blue squares and saves the lowest-val_loss epoch', async (t) => {
  const out = join(tmp, 'run-freeze');
  const result = await train(data, { ...base, epochs: 8, out });
  const losses = result.history.map((h) => h.val_loss);
  t.is(result.bestEpoch, losses.indexOf(Math.min(...losses)));
  t.true(result.history[result.bestEpoch]!.val_acc >= 0.9, `best val_acc ${result.history[result.bestEpoch]!.val_acc}`);
  for (const f of Object.values(RUN_FILES)) await t.notThrowsAsync(access(join(out, f)), f);
  t.deepEqual(JSON.parse(await readFile(join(out, RUN_FILES.classes), 'utf8')), ['circles', 'squares']);
  t.is((await readFile(join(out, RUN_FILES.historyCsv), 'utf8')).trim().split('\n').length, result.history.length + 1);
  const manifest = JSON.parse(await readFile(join(out, RUN_FILES.manifest), 'utf8')) as { splits: Record<string, { hash: string; class: string }[]> };
  t.is(manifest.splits.train!.length, 60);
  t.is(manifest.splits.validation!.length, 20);

  // The stitched model reproduces the best epoch's val_acc straight from images.
  const run = await loadRun(out);
  t.deepEqual(run.preprocessing, { mode: 'caffe', size: [64, 64], resize: 'nearest' });
  const val = manifest.splits.validation! as unknown as { path: string; class: string }[];
  const xs = await imagesToTensor(val.map((v) => v.path), run.preprocessing);
  const pred = tf.tidy(() => (run.model.predict(xs) as tf.Tensor).argMax(-1).dataSync());
  const acc = val.filter((v, i) => run.classes[pred[i]!] === v.class).length / val.length;
  t.true(Math.abs(acc - result.history[result.bestEpoch]!.val_acc) < 1e-6);
  xs.dispose();
  run.model.dispose();
});

test.serial('finetune trains block5 on cached block4_pool features after a warm-up, and train() frees every tensor', async (t) => {
  const numTensors = tf.memory().numTensors;
  const result = await train(data, { ...base, strategy: 'finetune', epochs: 2, out: join(tmp, 'run-finetune') });
  t.deepEqual(result.history.map((h) => h.phase), ['warmup', 'finetune']);
  t.is(result.history[1]!.lr, 1e-4);
  // The trainer shares block5 and the head with the model; both must go for their weights to go.
  t.is(tf.memory().numTensors, numTensors);
});

test.serial('train --json prints only the run summary, as JSON, on stdout; config.json records the installed versions', async (t) => {
  const out = join(tmp, 'run-json');
  const child = spawn(process.execPath, [join(repo, 'bin/transferkit.js'), 'train', data, '--strategy', 'freeze', '--input-size', '64', '--weights', weights,
    '--cache', base.cache, '--out', out, '--epochs', '2', '--dense', '0', '--batch-size', '8', '--json'], { cwd: repo, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  t.is(await new Promise((r) => child.once('exit', r)), 0);
  const summary = JSON.parse(stdout) as { runDir: string; plan: { strategy: string }; history: { epoch: number }[]; bestEpoch: number; interrupted: boolean; best: { epoch: number } };
  t.is(summary.runDir, out);
  t.is(summary.plan.strategy, 'freeze');
  t.deepEqual(summary.history.map((h) => h.epoch), [0, 1]);
  t.is(summary.best.epoch, summary.bestEpoch);
  t.false(summary.interrupted);
  const config = JSON.parse(await readFile(join(out, RUN_FILES.config), 'utf8')) as { versions: Record<string, string> };
  const version = async (dir: string) => (JSON.parse(await readFile(join(repo, dir, 'package.json'), 'utf8')) as { version: string }).version;
  t.is(config.versions.transferkit, await version('.'));
  t.is(config.versions.lmdb, await version('node_modules/lmdb'));
});

test.serial('kill -9 during training leaves the last best checkpoint loadable', async (t) => {
  const out = join(tmp, 'run-killed');
  const child = spawn(process.execPath, [join(repo, 'bin/transferkit.js'), 'train', data, '--strategy', 'freeze', '--input-size', '64', '--weights', weights,
    '--cache', base.cache, '--out', out, '--epochs', '500', '--dense', '0', '--dropout', '0', '--patience', '0', '--reduce-lr-patience', '0', '--batch-size', '4', '--lr', '0.01', '--quiet'], { cwd: repo, stdio: 'ignore' });
  const checkpoint = join(out, RUN_FILES.checkpoint);
  const started = Date.now();
  while (Date.now() - started < 120_000) {
    if (await access(checkpoint).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Let it write a few more checkpoints so the kill lands mid-training.
  await new Promise((r) => setTimeout(r, 1500));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const description = JSON.parse(await readFile(join(out, RUN_FILES.model), 'utf8')) as ModelDescription;
  const net = await buildNetwork({ plan: description.plan, inputSize: description.inputSize, classes: 2, random: createRng('x') });
  const report = await loadWeights(net.trainer, await readKerasFile(checkpoint));
  t.deepEqual(report.loaded.map((l) => l.layer), ['predictions']);
  disposeNetwork(net);

  // evaluate, predict and export accept the unfinished run, and say so.
  const run = await loadRun(out);
  t.regex(run.unfinished ?? '', /is from an unfinished run: using its best checkpoint \(best\.weights\.h5, epoch \d+ of \d+ completed/);
  const kernel = (name: string) => Array.from(run.model.getLayer(name).getWeights()[0]!.dataSync().slice(0, 50));
  const frozen = (await readKerasFile(weights)).layers.find((l) => l.name === 'block1_conv1')!.weights[0]!.data;
  t.deepEqual(kernel('block1_conv1'), Array.from(frozen.slice(0, 50)), 'the frozen layers come from the weights file the run started from');
  const best = (await readKerasFile(checkpoint)).layers.find((l) => l.name === 'predictions')!.weights[0]!.data;
  t.deepEqual(kernel('predictions'), Array.from(best.slice(0, 50)), 'the head comes from the best checkpoint');
  run.model.dispose();
  const image = (JSON.parse(await readFile(join(out, RUN_FILES.manifest), 'utf8')) as { splits: { validation: { path: string }[] } }).splits.validation[0]!.path;
  t.truthy((await predictRun(out, [image], { engine: 'tfjs' })).unfinished);
  t.truthy((await evaluateRun(out, undefined, { engine: 'tfjs' })).unfinished);
  t.truthy((await exportRun(out, 'tfjs', { out: join(tmp, 'killed-export') })).unfinished);
});

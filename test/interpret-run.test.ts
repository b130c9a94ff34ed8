/**
 * The visualize commands end to end through the CLI: on a VGG16 weights file and on a run
 * directory written by `train` (a tiny freeze run on generated shapes), plus the run summary.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initBackend } from '../src/backend/index.ts';
import { activationsCanvas } from '../src/interpret/activations.ts';
import { solidImage } from '../src/interpret/compose.ts';
import { kernelsCanvas } from '../src/interpret/kernels.ts';
import { maximizeCanvas } from '../src/interpret/maximize.ts';
import { formatRunSummary, summarizeRun } from '../src/interpret/run-summary.ts';
import { prepareImage } from '../src/interpret/source.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { loadRun } from '../src/run/load-run.ts';
import { train } from '../src/training/train.ts';
import { assertPicture } from './interpret-helpers.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

const cli = fileURLToPath(new URL('../bin/transferkit.js', import.meta.url));
const tk = (...args: string[]) => promisify(execFile)(process.execPath, [cli, ...args], { maxBuffer: 1 << 22 });
const tmp = await tempDir('tk-interpret-run-');
const weights = join(tmp, 'notop.h5');
const runDir = join(tmp, 'run');
const image = join(tmp, 'shapes', 'train', 'circles', 'circles-0.png');

test.before(async () => {
  await initBackend();
  await makeShapesDataset(join(tmp, 'shapes'), { perClass: 6, val: 3, seed: 2 });
  await initWeights(weights, { includeTop: false, seed: 0 });
  await train(join(tmp, 'shapes'), { strategy: 'freeze', inputSize: 64, weights, cache: join(tmp, 'cache'), epochs: 1, batchSize: 4, dense: 0, dropout: 0, out: runDir });
});

test.serial('kernels, activations, maximize and gradcam on a run directory write PNGs of the stated sizes', async (t) => {
  const run = await loadRun(runDir);
  const kernels = kernelsCanvas(run.model);
  run.model.dispose();
  await tk('visualize', 'kernels', '--weights', runDir, '--out', join(tmp, 'k.png'));
  await assertPicture(t, join(tmp, 'k.png'), kernels.width, kernels.height);

  await tk('visualize', 'activations', image, '--weights', runDir, '--layer', 'block2_conv1', '--channels', '0-3', '--scale', 'shared', '--out', join(tmp, 'a.png'));
  const again = await loadRun(runDir);
  const { input } = await prepareImage(image, again.preprocessing);
  const maps = activationsCanvas(again.model, input, { layer: 'block2_conv1', channels: [0, 1, 2, 3], scale: 'shared' });
  input.dispose();
  again.model.dispose();
  // 32x32 maps (64 input, one pool) upscaled x2 to 64px tiles: a 2x2 grid under the title row.
  t.is(maps.height, 22 + 2 * (64 + 14 + 4) + 4);
  await assertPicture(t, join(tmp, 'a.png'), maps.width, maps.height);

  const { stderr } = await tk('visualize', 'maximize', '--weights', runDir, '--layer', 'block1_conv2', '--filters', '0-3', '--steps', '3', '--size', '32', '--out', join(tmp, 'm.png'));
  t.regex(stderr, /step 3\/3: mean activation/);
  const fake = maximizeCanvas({ layer: 'block1_conv2', filters: [0, 1, 2, 3], steps: 3, images: [0, 1, 2, 3].map(() => solidImage(32, 32, [0, 0, 0])), history: [] });
  await assertPicture(t, join(tmp, 'm.png'), fake.width, fake.height);

  const { stdout } = await tk('visualize', 'gradcam', runDir, image, '--out', join(tmp, 'g.png'));
  t.regex(stdout, /^(circles|squares) \([01]\) p=\d\.\d{3}, block5_conv3\nwrote /);
  await assertPicture(t, join(tmp, 'g.png'), 64, 64);
  const byFlag = await tk('visualize', 'gradcam', '--weights', runDir, image, '--class', '1', '--out', join(tmp, 'g1.png'));
  t.regex(byFlag.stdout, /^squares \(1\)/);
});

test.serial('run summary marks frozen and trainable layers as the strategy trained them', async (t) => {
  const before = tf.memory().numTensors;
  const run = await loadRun(runDir);
  const flags = run.model.layers.map((l) => l.trainable);
  const summary = summarizeRun(run);
  t.false(summary.rows.find((r) => r.name === 'block5_conv3')!.trainable);
  t.true(summary.rows.find((r) => r.name === 'predictions')!.trainable);
  t.is(summary.trainableParams, 512 * 2 + 2);
  t.deepEqual(run.model.layers.map((l) => l.trainable), flags, 'the loaded model is left as it was');
  const text = formatRunSummary(run);
  run.model.dispose();
  t.is(tf.memory().numTensors, before);
  const { stdout } = await tk('visualize', 'summary', runDir);
  t.is(stdout.trim(), text);
  t.regex(stdout, /block1_conv1 \(Conv2D\) +\(None, 64, 64, 64\) +1792 +N\n/);
  t.regex(stdout, /predictions \(Dense\) +\(None, 2\) +1026 +Y\n/);
  t.regex(stdout, /Trainable params: 1,026\n/);
});

test.serial('on a weights file; errors are one line, exit code 2 for a wrong invocation and 1 otherwise', async (t) => {
  await tk('visualize', 'kernels', '--weights', weights, '--layer', 'block3_conv2', '--filters', '0-3', '--channels', '0-7', '--out', join(tmp, 'k3.png'));
  t.deepEqual((await sizeOf(join(tmp, 'k3.png')))[1], 22 + 4 * (33 + 14 + 4) + 4);
  // `warned`: the weights were used (the init-weights file is flagged once) before the error.
  for (const [args, message, warned, code] of [
    [['visualize', 'kernels', '--weights', weights, '--layer', 'block1_pool', '--out', join(tmp, 'x.png')], /"block1_pool" is a MaxPooling2D, not a Conv2D/, true, 1],
    [['visualize', 'maximize', '--weights', weights, '--layer', 'block1_conv1', '--filters', '3-1', '--out', join(tmp, 'x.png')], /--filters: "3-1" .* not a valid range/, false, 2],
    [['visualize', 'activations', image, '--weights', join(tmp, 'missing.h5'), '--layer', 'block1_conv1', '--out', join(tmp, 'x.png')], /missing\.h5 not found/, false, 1],
    [['visualize', 'gradcam', image, '--out', join(tmp, 'x.png')], /gradcam takes RUN_DIR IMAGE/, false, 2],
  ] as const) {
    const err = await t.throwsAsync(tk(...args));
    t.is((err as unknown as { code?: number }).code, code, args.join(' '));
    const stderr = (err as unknown as { stderr: string }).stderr.trim();
    t.regex(stderr, message);
    const [error, ...warnings] = stderr.split('\n').reverse();
    t.notRegex(error!, /^warning:/, stderr);
    t.deepEqual(warnings, warned ? [`warning: random-init weights: accuracy here says nothing about ImageNet transfer (${weights}: glorot_uniform seed 0)`] : [], stderr);
  }
});

async function sizeOf(path: string): Promise<[number, number]> {
  const meta = await sharp(path).metadata();
  return [meta.width ?? 0, meta.height ?? 0];
}

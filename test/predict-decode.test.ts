import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';
import { UserError } from '../src/errors.ts';
import { decodePredictions, loadClassIndex } from '../src/models/imagenet.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { tempDir } from './helpers/temp-dir.ts';

const CLI = new URL('../bin/transferkit.js', import.meta.url).pathname;

test.before(async () => {
  await initBackend();
});

/** A generated index in Keras's format: class i is ("n<i>", "class_<i>"). */
async function classIndexFile(n: number): Promise<string> {
  const dir = await tempDir('tk-labels-');
  const path = join(dir, 'imagenet_class_index.json');
  const entries = Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), [`n${String(i).padStart(8, '0')}`, `class_${i}`]]));
  await writeFile(path, JSON.stringify(entries));
  return path;
}

test('decodePredictions returns the top-k classes per image, most probable first', async (t) => {
  const labels = await classIndexFile(6);
  const probs = tf.tensor2d([
    [0.05, 0.4, 0.1, 0.3, 0.15, 0.0],
    [0.5, 0.0, 0.2, 0.0, 0.0, 0.3],
  ]);
  const decoded = decodePredictions(probs, 3, labels);
  probs.dispose();
  t.is(decoded.length, 2);
  t.deepEqual(decoded[0]?.map((p) => p.index), [1, 3, 4]);
  t.deepEqual(decoded[1]?.map((p) => p.label), ['class_0', 'class_5', 'class_2']);
  t.deepEqual(decoded[0]?.[0], { index: 1, wnid: 'n00000001', label: 'class_1', probability: decoded[0]?.[0]?.probability });
  t.true(Math.abs(decoded[0]![0]!.probability - 0.4) < 1e-6);
  // Arrays work too, and ties keep index order.
  const fromArrays = decodePredictions([[0.25, 0.25, 0.5, 0, 0, 0]], 6, loadClassIndex(labels));
  t.deepEqual(fromArrays[0]?.map((p) => p.index), [2, 0, 1, 3, 4, 5]);
});

test('a class index that does not fit, or is missing or malformed, is a UserError', async (t) => {
  const labels = await classIndexFile(4);
  t.throws(() => decodePredictions([[0.5, 0.5]], 1, labels), { instanceOf: UserError, message: /2 classes but the class index has 4/ });
  t.throws(() => loadClassIndex('/nonexistent/imagenet_class_index.json'), {
    instanceOf: UserError,
    message: /not found; run `transferkit fetch-weights`.*--labels/,
  });
  const dir = await tempDir('tk-labels-');
  const bad = join(dir, 'bad.json');
  await writeFile(bad, JSON.stringify({ '0': 'tench' }));
  t.throws(() => loadClassIndex(bad), { instanceOf: UserError, message: /not in imagenet_class_index.json format/ });
  const gap = join(dir, 'gap.json');
  await writeFile(gap, JSON.stringify({ '0': ['a', 'b'], '2': ['c', 'd'] }));
  t.throws(() => loadClassIndex(gap), { instanceOf: UserError, message: /no key "1"/ });
});

test('the predict CLI parses the ImageNet form and refuses no-top weights in one line', async (t) => {
  const dir = await tempDir('tk-predict-cli-');
  const weights = join(dir, 'notop.h5');
  await initWeights(weights, { includeTop: false });
  const image = join(dir, 'red.png');
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#cc3333' } }).png().toFile(image);
  const labels = await classIndexFile(1000);
  const err = await t.throwsAsync(promisify(execFile)('node', [CLI, 'predict', '--weights', weights, '--labels', labels, image]));
  const { code, stderr } = err as unknown as { code: number; stderr: string };
  t.is(code, 1);
  // The init-weights file is flagged once (its own line), then the error in one line.
  t.is(stderr.trim(), [
    `warning: random-init weights: accuracy here says nothing about ImageNet transfer (${weights}: glorot_uniform seed 0)`,
    `transferkit: ${weights} holds no classifier layers (fc1, fc2, predictions); predict needs VGG16 weights with the top, not a "notop" file.`,
  ].join('\n'));
  const engine = await t.throwsAsync(promisify(execFile)('node', [CLI, 'predict', '--weights', weights, '--engine', 'onnx', image]));
  t.regex((engine as unknown as { stderr: string }).stderr, /--engine applies to the RUN_DIR form only/);
});

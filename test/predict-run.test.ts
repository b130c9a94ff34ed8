import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { UserError } from '../src/errors.ts';
import { imagesToTensor } from '../src/models/preprocess.ts';
import { expandImageInputs, predictRun, predictWithRun } from '../src/inference/predict-run.ts';
import { loadRun } from '../src/run/load-run.ts';
import { trainTinyRun } from './evaluate-fixture.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
// Trained with centre-crop resizing, so wide images show whether prediction honours the record.
const { tmp, runDir } = await trainTinyRun('tk-predict-', { resize: 'crop' });
const inputs = join(tmp, 'inputs');
await mkdir(join(inputs, 'nested', '.hidden'), { recursive: true });
const wide = async (path: string, colour: string, cx: number): Promise<void> => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="100%" height="100%" fill="#888"/><circle cx="${cx}" cy="20" r="14" fill="${colour}"/></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(path);
};
await wide(join(inputs, 'a-red.png'), '#e00', 60);
await wide(join(inputs, 'nested', 'b-blue.png'), '#00e', 60);
await wide(join(inputs, 'nested', 'c-edge.png'), '#e00', 10);
await wide(join(inputs, 'nested', '.hidden', 'ignored.png'), '#e00', 60);
await writeFile(join(inputs, 'notes.txt'), 'not an image');
const broken = join(tmp, 'broken.jpg');
await writeFile(broken, 'not a jpeg');

test.serial('folders expand recursively and sorted, skipping hidden entries and non-images; missing paths are reported', async (t) => {
  const { paths, missing } = await expandImageInputs([inputs, join(tmp, 'nope.png'), broken]);
  t.deepEqual(paths, [join(inputs, 'a-red.png'), join(inputs, 'nested', 'b-blue.png'), join(inputs, 'nested', 'c-edge.png'), broken]);
  t.deepEqual(missing, [{ path: join(tmp, 'nope.png'), reason: 'file not found or not readable' }]);
});

test.serial("probabilities are the model's on the recorded preprocessing (crop at 32), top-k sorted with class names", async (t) => {
  const result = await predictRun(runDir, [inputs, broken, join(tmp, 'nope.png')], { top: 1 });
  const paths = result.predictions.map((p) => p.image);
  t.deepEqual(paths, [join(inputs, 'a-red.png'), join(inputs, 'nested', 'b-blue.png'), join(inputs, 'nested', 'c-edge.png')]);
  t.deepEqual(result.unreadable.map((u) => u.path), [join(tmp, 'nope.png'), broken]);
  t.true(result.predictions.every((p) => p.predictions.length === 1));

  const run = await loadRun(runDir);
  t.deepEqual(run.preprocessing, { mode: 'caffe', size: [32, 32], resize: 'crop' });
  const probs = async (resize: 'crop' | 'squash'): Promise<number[][]> => {
    const xs = await imagesToTensor(paths, { ...run.preprocessing, resize });
    const out = tf.tidy(() => (run.model.predict(xs) as tf.Tensor).arraySync() as number[][]);
    xs.dispose();
    return out;
  };
  const cropped = await probs('crop');
  const squashed = await probs('squash');
  const full = await predictWithRun(run, paths, { top: 5 });
  for (const [i, p] of full.predictions.entries()) {
    t.is(p.predictions.length, 2);
    t.true(p.predictions[0]!.probability >= p.predictions[1]!.probability);
    for (const c of p.predictions) {
      t.is(c.class, run.classes[c.index]!);
      t.true(Math.abs(c.probability - cropped[i]![c.index]!) < 1e-6);
    }
  }
  // The edge circle is cropped away at 32x32 but not squashed away: the two must differ.
  t.true(Math.abs(cropped[2]![0]! - squashed[2]![0]!) > 1e-4);
  const before = tf.memory().numTensors;
  await predictWithRun(run, paths);
  t.is(tf.memory().numTensors, before);
  run.model.dispose();
});

test.serial('nothing to predict is a user error', async (t) => {
  const empty = join(tmp, 'empty');
  await mkdir(join(empty, '.hidden'), { recursive: true });
  await writeFile(join(empty, '.hidden', 'x.png'), '');
  await t.throwsAsync(predictRun(runDir, [empty]), { instanceOf: UserError, message: /no image files/ });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repo, 'bin/transferkit.js'), ...args], { cwd: repo });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

test.serial('CLI: predict RUN_DIR ... --csv prints every rank and names unreadable files, exit code 1', async (t) => {
  const { code, stdout } = await cli(['predict', runDir, join(inputs, 'a-red.png'), broken, '--top', '2', '--csv']);
  const rows = stdout.trim().split('\n');
  t.is(rows[0], 'image,rank,class,probability,error');
  t.is(rows.length, 1 + 2 + 1);
  t.regex(rows[1]!, new RegExp(`^${join(inputs, 'a-red.png')},1,(circles|squares),0\\.\\d{6},$`));
  t.true(rows[3]!.startsWith(`${broken},,,,`));
  t.is(code, 1);
});

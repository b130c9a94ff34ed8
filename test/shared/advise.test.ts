/**
 * `transferkit advise` on real data (../shared/datasets/hymenoptera: 245 training images, ants vs
 * bees) with random-init weights: it runs, prints the evidence (size, both linear probes) with the
 * thresholds it used, and a recommendation consistent with the size x similarity matrix. Input 64
 * keeps both probes' feature extraction (block5_pool and block3_pool) quick; the advisor's logic does
 * not depend on the input size.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initWeights } from '../../src/models/init-weights.ts';
import { ADVISOR_THRESHOLDS, STRATEGY_MATRIX, type Advice } from '../../src/training/advisor.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const data = join(resolve(repo, '..', 'shared'), 'datasets', 'hymenoptera');
const tmp = await tempDir('tk-advise-');
const weights = join(tmp, 'notop.h5');
await initWeights(weights, { includeTop: false, seed: 0 });
test.after.always(() => rm(tmp, { recursive: true, force: true }));

function advise(extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repo, 'bin/transferkit.js'), 'advise', data, '--input-size', '64', '--weights', weights, '--cache', join(tmp, 'cache'), ...extra], { cwd: repo });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

test.serial('advise prints the recommendation and the evidence, and says it was measured on random-init weights', async (t) => {
  const run = await advise([]);
  t.is(run.code, 0, run.stderr);
  // The shared suite has no ImageNet weights: the advice must say its similarity was measured on random-init ones.
  const strategy = /^recommended strategy: (freeze|slice|finetune|retrain) \(small dataset, similarity measured on random-init weights\)$/m.exec(run.stdout);
  t.truthy(strategy, run.stdout);
  t.regex(run.stdout, /size: median 122\.5 training images per class \(124 \/ 121\) -> small \(small below 1000\)/);
  t.regex(run.stdout, /linear probe on block5_pool features of random-init weights: \d+\.\d% validation accuracy; on block3_pool: \d+\.\d%/);
  t.regex(run.stdout, /similarity: (similar|different) by the thresholds, but measured on random-init weights it says nothing about how close the images are to ImageNet's/);
  t.regex(run.stdout, new RegExp(`train with: transferkit train \\S+hymenoptera --strategy ${strategy![1]}`));
});

test.serial('advise --json: the matrix picks the strategy from the measured size and similarity', async (t) => {
  const run = await advise(['--json']);
  t.is(run.code, 0, run.stderr);
  const advice = JSON.parse(run.stdout) as Advice;
  t.is(advice.imagesPerClass, 122.5);
  t.is(advice.size, 'small');
  t.deepEqual(advice.thresholds, ADVISOR_THRESHOLDS);
  for (const p of [advice.probe.deep, advice.probe.early]) t.true(p >= 0 && p <= 1);
  const similar = advice.probe.deep >= ADVISOR_THRESHOLDS.deepAccuracy && advice.probe.deep >= advice.probe.early - ADVISOR_THRESHOLDS.maxDeepDeficit;
  t.is(advice.similarity, similar ? 'similar' : 'different');
  t.is(advice.strategy, STRATEGY_MATRIX.small[advice.similarity]);
});

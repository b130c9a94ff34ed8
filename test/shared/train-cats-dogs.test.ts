/**
 * Acceptance: on ../shared/datasets/cats-dogs (300 training, 120 validation photos) with
 * init-weights weights, each strategy completes a 2-epoch run and writes the run directory.
 * The four runs share one generated weights file and one feature cache.
 *
 * Input sizes, the smallest that keep each run honest (CI gives every suite together 90 minutes
 * on 2 cores, so this file aims at a few minutes on an idle machine):
 * - freeze at 224: the real configuration (7x7x512 block5_pool features); its prefix runs once per
 *   image on the fast engine and the head trains on cached features, so 224 is affordable here.
 * - slice at 64 (block3_pool, 8x8x256 features): still a spatial map for the head's pooling; the
 *   block3 cut at 224 is covered by the extraction suite.
 * - finetune at 64 (block4_pool 4x4x512 cached, block5 convs train on it): conv training on wasm is
 *   ~7 s per step of 8 at 224.
 * - retrain at 32 (the smallest input VGG16 takes: 1x1 after block5_pool): every conv layer trains
 *   on wasm from decoded images, the slowest path by far.
 * Measured (`/usr/bin/time npx ava --config ava.shared.config.js test/shared/train-cats-dogs.test.ts`,
 * shared machine at load average 4-9): 4 min 24 s wall, 286 s CPU; freeze 2 min 18 s (extraction
 * at 224 is what the load slows most), slice 10 s, finetune 29 s, retrain 81 s.
 */
import test from 'ava';
import { access, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initWeights } from '../../src/models/init-weights.ts';
import { RUN_FILES } from '../../src/run/files.ts';
import { loadRun } from '../../src/run/load-run.ts';
import { train } from '../../src/training/train.ts';
import type { TrainOptions } from '../../src/training/options.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const shared = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared');
const data = join(shared, 'datasets', 'cats-dogs');
const tmp = await tempDir('tk-cats-dogs-');
const notop = join(tmp, 'notop.h5');
await initWeights(notop, { includeTop: false, seed: 0 });
const cache = join(tmp, 'cache');
test.after.always(() => rm(tmp, { recursive: true, force: true }));

const runs: Array<{ name: string; options: TrainOptions; cut: string | null; phases: string[] }> = [
  { name: 'freeze', options: { strategy: 'freeze', inputSize: 224 }, cut: 'block5_pool', phases: ['head', 'head'] },
  { name: 'slice', options: { strategy: 'slice', sliceAt: 'block3_pool', inputSize: 64 }, cut: 'block3_pool', phases: ['head', 'head'] },
  { name: 'finetune', options: { strategy: 'finetune', inputSize: 64 }, cut: 'block4_pool', phases: ['warmup', 'finetune'] },
  { name: 'retrain', options: { strategy: 'retrain', inputSize: 32 }, cut: null, phases: ['all', 'all'] },
];

for (const { name, options, cut, phases } of runs) {
  test.serial(`${name}: 2 epochs on cats-dogs write the run directory`, async (t) => {
    const out = join(tmp, name);
    const result = await train(data, { ...options, epochs: 2, weights: notop, cache, out, batchSize: 16 });
    t.is(result.plan.cut, cut);
    t.deepEqual(result.history.map((h) => h.phase), phases);
    for (const h of result.history) t.true(Number.isFinite(h.loss) && Number.isFinite(h.val_loss), JSON.stringify(h));
    // The int8 calibration is stored only by runs whose frozen features were int8 (never by retrain).
    const int8 = result.extraction.precision.precision === 'int8';
    if (cut === null) t.false(int8, result.extraction.precisionMessage);
    for (const [key, f] of Object.entries(RUN_FILES)) {
      if (key === 'calibration' && !int8) await t.throwsAsync(access(join(out, f)), undefined, f);
      else await t.notThrowsAsync(access(join(out, f)), f);
    }
    t.deepEqual(JSON.parse(await readFile(join(out, RUN_FILES.classes), 'utf8')), ['cats', 'dogs']);
    const manifest = JSON.parse(await readFile(join(out, RUN_FILES.manifest), 'utf8')) as { splits: Record<string, unknown[]> };
    t.is(manifest.splits.train!.length, 300);
    t.is(manifest.splits.validation!.length, 120);
    const run = await loadRun(out);
    t.deepEqual(run.model.inputs[0]!.shape, [null, options.inputSize, options.inputSize, 3]);
    t.deepEqual(run.model.outputs[0]!.shape, [null, 2]);
    run.model.dispose();
    t.is(tf.memory().numTensors, 0, 'train and loadRun free every tensor');
  });
}

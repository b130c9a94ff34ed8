/**
 * int8 features on real photos (../shared), init-weights weights: per-image cosine with fp32 on the
 * four ImageNet photos at 224 (calibrated on cats-dogs training photos, so the photos are unseen),
 * and `train` with strategy auto runs each image through the prefix once although it reads three
 * cuts.
 */
import test from 'ava';
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePrecision } from '../../src/cache/precision.ts';
import { int8Agreement } from '../helpers/int8-fixture.ts';
import { initWeights } from '../../src/models/init-weights.ts';
import { train } from '../../src/training/train.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const shared = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared');
const catsDogs = join(shared, 'datasets', 'cats-dogs');
const photos = ['cat', 'dog', 'elephant', 'coffee'].map((n) => join(shared, 'photos', `${n}.jpg`));
const tmp = await tempDir('tk-int8-shared-');
const weights = join(tmp, 'notop.h5');
await initWeights(weights, { includeTop: false, seed: 0 });
test.after.always(() => rm(tmp, { recursive: true, force: true }));

async function trainingPhotos(): Promise<{ path: string }[]> {
  const dirs = ['cats', 'dogs'].map((c) => join(catsDogs, 'train', c));
  return (await Promise.all(dirs.map(async (d) => (await readdir(d)).sort().map((f) => ({ path: join(d, f) }))))).flat();
}

test.serial('int8 vs fp32 block5_pool features on the shared photos at 224: per-image cosine >= 0.999', async (t) => {
  const cache = join(tmp, 'cache-photos');
  const decision = await resolvePrecision(await trainingPhotos(), { weights, inputSize: 224, resize: 'squash', cache, engine: 'onnx', precision: 'int8', cuts: ['block5_pool'] });
  t.is(decision.resolved.precision, 'int8', decision.message);
  const scores = await int8Agreement(weights, decision.calibration!.ranges, photos, 224);
  for (const [i, { cosine, relativeError }] of scores.entries()) t.true(cosine >= 0.999, `${photos[i]}: cosine ${cosine}, relative error ${relativeError}`);
});

test.serial('train with strategy auto reads three cuts but runs each image through the prefix once', async (t) => {
  const r = await train(catsDogs, { weights, inputSize: 32, epochs: 1, cache: join(tmp, 'cache-auto'), out: join(tmp, 'run-auto') });
  // 150 + 150 training and 60 + 60 validation photos; the probes read block5_pool and block3_pool, the plan its own cut.
  t.is(r.extraction.computed, 420);
  t.true(r.plan.cut === 'block5_pool' || r.plan.cut === 'block3_pool', `cut ${r.plan.cut}`);
});

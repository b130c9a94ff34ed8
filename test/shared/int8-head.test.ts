/**
 * Acceptance (issue 11): a head trained on int8 features reaches the validation accuracy of the
 * same head trained on fp32 features, within 2 points, on ../shared/datasets/cats-dogs (150
 * training and 60 validation photos per class) at 224 px, through `train` (the product's path).
 *
 * No ImageNet weights exist offline, so the prefix has init-weights weights (seed 0). Their
 * features still tell cats from dogs a little, which is all the comparison needs: it is only
 * meaningful when the fp32 head is clearly above chance, so that is asserted first.
 *
 * The setting, measured on 2026-12-02 (validation accuracy of the saved best epoch, fp32 / int8,
 * both from one calibration on the training photos; guard cosine 0.9997):
 * - the default head (GAP, dense 256, dropout 0.5, adam 1e-3, 10 epochs of 32) stays at chance at
 *   every cut (block3/4/5_pool: 53 / 57, 48 / 49, 50 / 50 %): random-init features are small
 *   (block4_pool channel means ~0.3, spread between images ~0.07), so 100 steps barely move it;
 * - with batch normalisation after the hidden dense layer and batches of 8 it reaches 58-66 %, but
 *   its validation accuracy jumps between 50 and 65 % from epoch to epoch, so the two precisions'
 *   best epochs agree or not by chance;
 * HEAD below settles: its fp32 and int8 validation accuracies are within two photos at every epoch.
 *
 * Cost: the two runs share one cache (fp32 and int8 features never mix, so each extracts the 420
 * photos once at block4_pool); the heads train on cached features in seconds. Measured: 130 CPU-s
 * on 2 cores, 2 min wall at load average ~8 (9 min at 22).
 */
import test from 'ava';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initWeights } from '../../src/models/init-weights.ts';
import { train } from '../../src/training/train.ts';
import type { TrainOptions } from '../../src/training/options.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const shared = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared');
const data = join(shared, 'datasets', 'cats-dogs');
const tmp = await tempDir('tk-int8-head-');
const weights = join(tmp, 'notop.h5');
await initWeights(weights, { includeTop: false, seed: 0 });
test.after.always(() => rm(tmp, { recursive: true, force: true }));

/**
 * A linear head on standardised features: global average pooling, batch normalisation (it
 * standardises each channel, which random-init features need and nothing else in a head does) and
 * softmax; batches of 8 so the normalisation's moving statistics settle (~40 steps an epoch).
 * slice at block4_pool, where these features separate the classes best (a probe like the advisor's,
 * standardised GAP features and softmax on all training photos, fp32 / int8: block3_pool 55 / 57 %,
 * block4_pool 66 / 64 %, block5_pool 58 / 55 %).
 * Measured: 62.5 / 62.5 % (best epoch 12 of 17 for both; at block5_pool 59.2 / 59.2 %) with 16
 * calibration images; 62.5 / 65.0 % with 8.
 */
const HEAD: TrainOptions = { strategy: 'slice', sliceAt: 'block4_pool', dense: 0, batchnorm: true, dropout: 0, batchSize: 8, epochs: 30, lr: 1e-2, seed: 1337 };

/** 72 of the 120 validation photos: at chance (p = 0.5) that many or more has probability 0.018. */
const ABOVE_CHANCE = 0.6;

async function validationAccuracy(precision: 'fp32' | 'int8'): Promise<{ acc: number; message: string }> {
  const r = await train(data, { ...HEAD, precision, weights, inputSize: 224, cache: join(tmp, 'cache'), out: join(tmp, precision) });
  if (r.extraction.precision.precision !== precision) throw new Error(`asked for ${precision}: ${r.extraction.precisionMessage}`);
  return { acc: r.history[r.bestEpoch]!.val_acc, message: r.extraction.precisionMessage };
}

test.serial('a head on int8 features reaches the fp32 head’s validation accuracy on cats-dogs: at most 2 points below', async (t) => {
  const fp32 = await validationAccuracy('fp32');
  t.true(fp32.acc >= ABOVE_CHANCE, `fp32 head ${fp32.acc}: no better than chance, so int8 agreeing with it would say nothing`);
  const int8 = await validationAccuracy('int8');
  t.log(`validation accuracy: fp32 head ${fp32.acc}, int8 head ${int8.acc}`);
  // "Reaches": int8 may not lose more than 2 points. Above fp32 is no failure: with 8 calibration
  // images (2026-12-02, Zen 4) int8 read 65.0 % against fp32's 62.5 %, 3 of 120 photos, which is
  // how much picking the best of 30 epochs moves either side.
  t.true(int8.acc >= fp32.acc - 0.02, `fp32 head ${fp32.acc}, int8 head ${int8.acc} (${int8.message})`);
});

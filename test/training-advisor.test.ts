/**
 * The advisor measures in two stages: its probes first train and validate on
 * `quickProbeImagesPerClass` images per class and split, and on up to `probeImagesPerClass` only
 * when that answer is in doubt. A clear answer leaves the other images to the strategy's own cut:
 * `train --strategy auto` then runs them to block3_pool (slice) and never to block5_pool.
 */
import test from 'ava';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { extractFeatures } from '../src/cache/extract-features.ts';
import { createRng } from '../src/data/random.ts';
import { scanDataset } from '../src/data/scan.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { ADVISOR_THRESHOLDS, advise, inDoubt, wilsonInterval } from '../src/training/advisor.ts';
import { splitItems } from '../src/training/features.ts';
import { train } from '../src/training/train.ts';
import { tempDir } from './helpers/temp-dir.ts';

const tmp = await tempDir('tk-advisor-');
const weights = join(tmp, 'notop.h5');
await initWeights(weights, { includeTop: false, seed: 0 });
test.after.always(() => rm(tmp, { recursive: true, force: true }));

const CLASSES = ['a', 'b', 'c'];

/** DIR/{train,validation}/<class>/ with `pixel(class, i)` deciding each 24 px image's pixels. */
async function folder(name: string, counts: { train: number; validation: number }, pixel: (c: number, random: () => number) => number): Promise<string> {
  const dir = join(tmp, name);
  const random = createRng(name);
  for (const split of ['train', 'validation'] as const) {
    for (const [c, cls] of CLASSES.entries()) {
      await mkdir(join(dir, split, cls), { recursive: true });
      for (let i = 0; i < counts[split]; i++) {
        const raw = Buffer.from(Array.from({ length: 24 * 24 * 3 }, () => pixel(c, random)));
        await sharp(raw, { raw: { width: 24, height: 24, channels: 3 } }).png().toFile(join(dir, split, cls, `${i}.png`));
      }
    }
  }
  return dir;
}

test('the Wilson interval and the doubt rule', (t) => {
  const [low, high] = wilsonInterval(0.5, 100);
  t.is(low.toFixed(4), '0.4038');
  t.is(high.toFixed(4), '0.5962');
  t.deepEqual(wilsonInterval(0.9, 0), [0, 1]);
  const images = (validation: number) => ({ train: 60, validation });
  t.is(ADVISOR_THRESHOLDS.deepAccuracy, 0.8, 'the cases below assume the 0.8 threshold');
  t.false(inDoubt({ deep: 0.35, early: 0.5, images: images(60) }), 'clearly below the threshold');
  t.true(inDoubt({ deep: 0.75, early: 0.5, images: images(60) }), 'the interval reaches the threshold');
  t.false(inDoubt({ deep: 0.97, early: 0.9, images: images(100) }), 'clearly above, and no worse than early');
  t.true(inDoubt({ deep: 0.97, early: 0.98, images: images(100) }), 'above, but the deficit test hangs on a few images');
  t.true(inDoubt({ deep: 1, early: 0.5, images: images(6) }), 'six validation images cannot clear the threshold');
});

test.serial('a clear answer on the quick sample: the other images run to the strategy cut only', async (t) => {
  // Noise: no cut separates the classes, so the deep probe is clearly below the threshold.
  const data = await folder('noise', { train: 30, validation: 25 }, (_, random) => Math.floor(random() * 256));
  const cache = join(tmp, 'cache-noise');
  const common = { weights, inputSize: 32, cache, precision: 'fp32' } as const;
  const dataset = await scanDataset(data, { valSplit: 0.2, seed: 0 });
  const advice = await advise(dataset, common);
  const quick = ADVISOR_THRESHOLDS.quickProbeImagesPerClass * CLASSES.length;
  t.deepEqual(advice.probe.images, { train: quick, validation: quick });
  t.false(inDoubt(advice.probe));
  t.is(advice.strategy, 'slice');
  t.regex(advice.reasons[1]!, new RegExp(`\\(${quick} training / ${quick} validation images\\)$`));

  const result = await train(data, { ...common, strategy: 'auto', out: join(tmp, 'run-noise'), epochs: 1, batchSize: 8 });
  const all = dataset.splits.train.length + dataset.splits.validation.length;
  t.is(result.plan.cut, 'block3_pool');
  t.is(result.extraction.computed, all - 2 * quick, 'the probes\u2019 images were reused, the rest computed once');
  // The rest never went through blocks 4-5: block5_pool is cached for the probe images only.
  const deep = await extractFeatures(splitItems(dataset.splits), { ...common, cut: 'block5_pool' });
  t.is(deep.computed, all - 2 * quick);
});

test.serial('an answer in doubt: the probes measure again on every probe image', async (t) => {
  // One colour per class: the probes separate them, but two validation images per class cannot
  // put the deep probe's interval above the threshold.
  const data = await folder('colours', { train: 30, validation: 2 }, (c, random) => (c === 0 ? 200 : c === 1 ? 120 : 40) + Math.floor(random() * 30));
  const advice = await advise(await scanDataset(data, { valSplit: 0.2, seed: 0 }), { weights, inputSize: 32, cache: join(tmp, 'cache-colours'), precision: 'fp32' });
  t.deepEqual(advice.probe.images, { train: 30 * CLASSES.length, validation: 2 * CLASSES.length });
});

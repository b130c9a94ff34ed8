/**
 * The main job, before and after one-pass int8 extraction: `train DIR` (strategy auto, 224 px) on a
 * 5-class, 425-image folder (60 train + 25 validation per class) built at bench time from ../shared:
 * cats and dogs (cats-dogs), ants and bees (hymenoptera), and a fifth class of grayscale copies of
 * other cats-dogs validation photos (../shared has four real classes; extraction cost does not depend
 * on what the pictures show). Random-init weights (`initWeights`), as no pretrained file is offline.
 *
 * before = the old code path reproduced: fp32, the prefix run three times over every image (the
 *          advisor's block5_pool and block3_pool probes, then block4_pool for slice: three separate
 *          `extractFeatures` calls), then `train` with precision fp32 on that warm cache (probes and
 *          head training, no extraction left).
 * after  = `train DIR` with the defaults (precision auto) on an empty cache.
 * Both `train` calls run today's advisor, whose probes measure on 20 images per class and split
 * when that answer is clear: before's probe training is a little quicker than the old code's was
 * (it trained on every image), which only shrinks the speedup.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { extractFeatures } from '../../src/cache/extract-features.ts';
import { scanDataset } from '../../src/data/scan.ts';
import { defaultSplit } from '../../src/options/pieces.ts';
import { initWeights } from '../../src/models/init-weights.ts';
import { splitItems } from '../../src/training/features.ts';
import { train } from '../../src/training/train.ts';

const SHARED = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));
const PER_CLASS = { train: 60, validation: 25 };
const SIZE = 224;

async function jpgs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => /\.jpe?g$/i.test(f)).sort().map((f) => join(dir, f));
}

/** The 5-class folder: sources per class, copied (or grayscaled) into DIR/{train,validation}/<class>/. */
async function buildFolder(root: string): Promise<void> {
  const cd = (split: string, c: string) => jpgs(join(SHARED, 'cats-dogs', split, c));
  const hy = async (c: string) => [...(await jpgs(join(SHARED, 'hymenoptera/train', c))), ...(await jpgs(join(SHARED, 'hymenoptera/val', c)))];
  const need = PER_CLASS.train + PER_CLASS.validation;
  const grayPool = [...(await cd('validation', 'cats')), ...(await cd('validation', 'dogs'))];
  const classes: Record<string, { files: string[]; gray?: boolean }> = {
    cats: { files: (await cd('train', 'cats')).slice(0, need) },
    dogs: { files: (await cd('train', 'dogs')).slice(0, need) },
    ants: { files: (await hy('ants')).slice(0, need) },
    bees: { files: (await hy('bees')).slice(0, need) },
    grayscale: { files: grayPool.slice(0, need), gray: true },
  };
  for (const [name, { files, gray }] of Object.entries(classes)) {
    if (files.length < need) throw new Error(`bench main: only ${files.length} images for class ${name}, need ${need}`);
    for (const [i, file] of files.entries()) {
      const split = i < PER_CLASS.train ? 'train' : 'validation';
      const dir = join(root, split, name);
      await mkdir(dir, { recursive: true });
      const image = sharp(file).rotate();
      await (gray ? image.grayscale() : image).jpeg({ quality: 92 }).toFile(join(dir, `${name}.${i}.jpg`));
    }
  }
}

const round = (x: number, digits = 3): number => Number(x.toPrecision(digits));

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

export default async function bench(): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'transferkit-bench-main-'));
  try {
    const data = join(dir, 'flowers-like');
    await buildFolder(data);
    const weights = join(dir, 'vgg16_notop.h5');
    await initWeights(weights);
    const loadAverageAtStart = round(loadavg()[0]!);

    // before: three fp32 passes, then training on the warm cache.
    const beforeCache = join(dir, 'cache-before');
    const beforeStart = performance.now();
    const beforeCpu = process.cpuUsage();
    const dataset = await scanDataset(data, defaultSplit());
    const items = splitItems({ train: dataset.splits.train, validation: dataset.splits.validation });
    let beforeExtraction = 0;
    for (const cut of ['block5_pool', 'block3_pool', 'block4_pool']) {
      const s = await extractFeatures(items, { weights, cut, inputSize: SIZE, cache: beforeCache, precision: 'fp32' });
      beforeExtraction += s.seconds;
    }
    const beforeRun = await train(data, { weights, inputSize: SIZE, cache: beforeCache, out: join(dir, 'run-before'), precision: 'fp32' });
    const beforeWall = (performance.now() - beforeStart) / 1000;
    const beforeCpuSeconds = cpuSeconds(beforeCpu);
    const loadAverageMiddle = round(loadavg()[0]!);

    // after: the command as a user runs it.
    const afterStart = performance.now();
    const afterCpu = process.cpuUsage();
    const afterRun = await train(data, { weights, inputSize: SIZE, cache: join(dir, 'cache-after'), out: join(dir, 'run-after') });
    const afterWall = (performance.now() - afterStart) / 1000;
    const afterCpuSeconds = cpuSeconds(afterCpu);
    const best = (r: typeof afterRun) => r.history.find((h) => h.epoch === r.bestEpoch)?.val_acc;
    return {
      what: `train DIR (strategy auto, ${SIZE} px) on 5 classes x (${PER_CLASS.train} train + ${PER_CLASS.validation} validation) = ${5 * (PER_CLASS.train + PER_CLASS.validation)} images, random-init weights`,
      machine: { cpu: cpus()[0]?.model, cores: cpus().length },
      loadAverage: { start: loadAverageAtStart, middle: loadAverageMiddle, end: round(loadavg()[0]!) },
      before: {
        how: 'fp32, three extraction passes (block5_pool, block3_pool, block4_pool) + train --precision fp32 on the warm cache',
        wallSeconds: round(beforeWall),
        cpuSeconds: round(beforeCpuSeconds),
        extractionSeconds: round(beforeExtraction),
        strategy: beforeRun.plan.strategy,
        valAcc: best(beforeRun),
      },
      after: {
        how: 'train DIR with the defaults (precision auto: one pass, int8 when the guard passes) on an empty cache',
        wallSeconds: round(afterWall),
        cpuSeconds: round(afterCpuSeconds),
        extractionSeconds: round(afterRun.extraction.seconds),
        imagesThroughPrefix: afterRun.extraction.computed,
        // The advisor's probes read block5_pool on these images only (its quick stage when the answer is clear).
        probeImages: afterRun.advice?.probe.images,
        precision: afterRun.extraction.precisionMessage,
        strategy: afterRun.plan.strategy,
        cut: afterRun.plan.cut,
        valAcc: best(afterRun),
      },
      // Wall time on a shared machine depends on the other tenants; CPU seconds (all of this process's threads) do not.
      speedup: { wall: round(beforeWall / afterWall), cpu: round(beforeCpuSeconds / afterCpuSeconds), extraction: round(beforeExtraction / afterRun.extraction.seconds) },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

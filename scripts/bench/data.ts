/**
 * Data pipeline throughput at 224x224 on generated 640x480 JPEGs: decode+resize and
 * decode+augment ('standard' and 'strong' presets), and the peak RSS of streaming batches over
 * 100 vs 2,000 images (flat = the dataset is never held in memory).
 *
 * Throughput is given two ways: wall-clock img/s (what this machine delivered, which other load on
 * it drags down), and the CPU time per image of this process (all threads, sharp's libuv workers
 * included) with the img/s that this CPU time allows on all cores — the figure that stays
 * comparable when the machine is shared.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { AUGMENT_PRESETS } from '../../src/data/augment-options.ts';
import { augmentImage } from '../../src/data/augment.ts';
import { streamBatches } from '../../src/data/batches.ts';
import type { DatasetItem } from '../../src/data/dataset.ts';
import { decodeImage } from '../../src/data/decode.ts';
import { orderedMap } from '../../src/data/pool.ts';

const SIZE = { width: 224, height: 224 };

async function makeJpegs(dir: string, n: number): Promise<DatasetItem[]> {
  await mkdir(dir, { recursive: true });
  const items: DatasetItem[] = [];
  for (let i = 0; i < n; i++) {
    const path = join(dir, `${i}.jpg`);
    await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: i % 256, g: 90, b: 160 }, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .jpeg({ quality: 85 })
      .toFile(path);
    items.push({ path, classIndex: i % 2, className: i % 2 ? 'b' : 'a', hash: String(i) });
  }
  return items;
}

/** One throughput measurement (see the header comment for the two figures). */
interface Throughput {
  wallImgPerSec: number;
  cpuMsPerImage: number;
  cpuBoundImgPerSecAllCores: number;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

async function throughput(items: DatasetItem[], work: (item: DatasetItem) => Promise<unknown>): Promise<Throughput> {
  const concurrency = availableParallelism() * 2;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for await (const _ of orderedMap(items, work, { concurrency, lookahead: concurrency * 2 })) void _;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000 / items.length;
  return {
    wallImgPerSec: round1(items.length / seconds),
    cpuMsPerImage: Math.round(cpuMs * 100) / 100,
    cpuBoundImgPerSecAllCores: round1((availableParallelism() * 1000) / cpuMs),
  };
}

async function peakRssStreaming(items: DatasetItem[]): Promise<number> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  for await (const batch of streamBatches(items, { numClasses: 2, batchSize: 32, augment: AUGMENT_PRESETS.standard, seed: 1 })) {
    tf.dispose([batch.xs, batch.ys]);
  }
  clearInterval(timer);
  return Math.round(Math.max(peak, process.memoryUsage.rss()) / 2 ** 20);
}

export default async function run(): Promise<Record<string, unknown>> {
  await tf.setBackend('cpu');
  const root = await mkdtemp(join(tmpdir(), 'tk-bench-data-'));
  try {
    const items = await makeJpegs(join(root, 'img'), 2000);
    const sample = items.slice(0, 600);
    await throughput(sample.slice(0, 50), (i) => decodeImage(i.path, SIZE)); // warm up libvips
    const loadBefore = loadavg()[0]!;
    const decodeResize = await throughput(sample, (i) => decodeImage(i.path, SIZE));
    const augmentStandard = await throughput(sample, (i) => augmentImage(i.path, i.hash!, SIZE, AUGMENT_PRESETS.standard, { seed: 1 }));
    const augmentStrong = await throughput(sample, (i) => augmentImage(i.path, i.hash!, SIZE, AUGMENT_PRESETS.strong, { seed: 1 }));
    const loadAfter = loadavg()[0]!;
    const rss100 = await peakRssStreaming(items.slice(0, 100));
    const rss2000 = await peakRssStreaming(items);
    return {
      input: '640x480 JPEG (q85, noisy), output 224x224 RGB, squash',
      cores: availableParallelism(),
      sharpConcurrency: sharp.concurrency(),
      uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
      loadAverage1m: { before: round1(loadBefore), after: round1(loadAfter) },
      throughputNote: `wallImgPerSec: measured wall clock, ${availableParallelism() * 2} images in flight, slowed by any other load; cpuBoundImgPerSecAllCores: ${availableParallelism()} cores / CPU time per image (all threads of this process)`,
      decodeResize,
      augmentStandard,
      augmentStrong,
      targetAugmentImgPerSec: 200,
      streamBatchesPeakRssMiB: { images100: rss100, images2000: rss2000 },
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

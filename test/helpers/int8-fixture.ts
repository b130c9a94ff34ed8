/** Generated photos-ish images and random-init weights for the int8 and multi-cut tests (no ../shared). */
import type { ExecutionContext } from 'ava';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeBatch, toInput } from '../../src/cache/batch-runner.ts';
import { int8Ranges, resolvePrecision } from '../../src/cache/precision.ts';
import { writeLegacyWeights } from '../../src/keras/index.ts';
import { agreement } from '../../src/models/engines/calibrate.ts';
import { createEngine, type Int8Ranges } from '../../src/models/engines/index.ts';
import { tempDir } from './temp-dir.ts';
import { randomVgg16 } from './vgg16-weights.ts';

export interface Int8Fixture {
  dir: string;
  weights: string;
  cache: string;
  /** Distinct images: smooth gradients with blobs and a little texture, so activations vary. */
  images: string[];
}

/** `n` distinct 64x48 PNGs and one random-init VGG16 weights file in a temp folder. */
export async function int8Fixture(t: ExecutionContext, n = 12): Promise<Int8Fixture> {
  const dir = await tempDir('tk-int8-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'img'));
  const images: string[] = [];
  const [w, h] = [64, 48];
  for (let i = 0; i < n; i++) {
    const raw = Buffer.alloc(w * h * 3);
    const cx = (i * 17) % w;
    const cy = (i * 11) % h;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const blob = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (60 + 9 * i)) * 200;
        const p = (y * w + x) * 3;
        raw[p] = Math.min(255, (x * (3 + i)) % 256 * 0.5 + blob);
        raw[p + 1] = Math.min(255, ((y * (5 + i)) % 256) * 0.6 + blob * 0.3);
        raw[p + 2] = Math.min(255, (((x + y) * (2 + i)) % 256) * 0.4 + ((x * y * (i + 1)) % 37));
      }
    const path = join(dir, 'img', `im${i}.png`);
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path);
    images.push(path);
  }
  await writeLegacyWeights(join(dir, 'w.h5'), randomVgg16(3).layers);
  return openInt8Fixture(dir);
}

/** The fixture `int8Fixture` wrote into `dir` (for a child process). */
export async function openInt8Fixture(dir: string): Promise<Int8Fixture> {
  const images = (await readdir(join(dir, 'img'))).sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).map((f) => join(dir, 'img', f));
  return { dir, weights: join(dir, 'w.h5'), cache: join(dir, 'cache'), images };
}

/** int8 ranges calibrated as `--precision int8` does on the fixture's first 8 images; weight bits: the CPU's unless given. */
export async function calibrateFixture(f: Int8Fixture, size: number, weightBits?: 7 | 8): Promise<Int8Ranges> {
  const items = f.images.slice(0, 8).map((path) => ({ path }));
  const d = await resolvePrecision(items, { weights: f.weights, inputSize: size, resize: 'squash', cache: f.cache, engine: 'onnx', precision: 'int8', cuts: ['block5_pool'], ...(weightBits ? { calibration: { weightBits } } : {}) });
  if (d.resolved.precision !== 'int8') throw new Error(d.message);
  return int8Ranges(d.resolved, f.cache, d);
}

/** Per-image agreement of int8 (with `ranges`) and fp32 block5_pool features of `paths` at `size`. */
export async function int8Agreement(weights: string, ranges: Int8Ranges, paths: readonly string[], size = 224): Promise<{ cosine: number; relativeError: number }[]> {
  const ctx = { inputSize: size, resize: 'squash' as const, weights, cut: '', engine: 'onnx' as const, cacheDir: '', dtype: 'float32' as const };
  const x = toInput((await decodeBatch(paths.map((path, i) => ({ key: String(i), path, imageHash: String(i), copy: 0 })), ctx)).pixels, size);
  const fp32 = await createEngine({ weights, inputSize: size, engine: 'onnx' });
  const int8 = await createEngine({ weights, inputSize: size, engine: 'onnx', int8: ranges });
  try {
    const [a, b] = [await int8.run(x, paths.length), await fp32.run(x, paths.length)];
    const per = b.length / paths.length;
    return paths.map((_, i) => agreement(a.subarray(i * per, (i + 1) * per), b.subarray(i * per, (i + 1) * per)));
  } finally {
    await fp32.dispose();
    await int8.dispose();
  }
}

/** Lowest per-image cosine and highest relative error of int8 vs fp32 block5_pool features on the images not calibrated on. */
export async function worstInt8Agreement(f: Int8Fixture, ranges: Int8Ranges, size: number): Promise<{ cosine: number; relativeError: number }> {
  const scores = await int8Agreement(f.weights, ranges, f.images.slice(8), size);
  return { cosine: Math.min(...scores.map((s) => s.cosine)), relativeError: Math.max(...scores.map((s) => s.relativeError)) };
}

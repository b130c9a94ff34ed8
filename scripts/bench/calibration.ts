/**
 * int8 calibration settings: for three ../shared photo folders, calibrate init-weights VGG16 at 224
 * with MinMax and with percentile on 16 images, and with percentile on 8 and 4, and report the
 * guard's figures at every pool on the same 8 held-back images: the worst image's cosine and
 * relative error against fp32, and the seconds each calibration took.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePrecision } from '../../src/cache/precision.ts';
import type { CalibrationMethod } from '../../src/models/engines/calibrate.ts';
import { initWeights } from '../../src/models/init-weights.ts';

const SHARED = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));
const FOLDERS = ['cats-dogs/train/cats', 'cats-dogs/train/dogs', 'hymenoptera/train/ants'];
const VARIANTS: [string, CalibrationMethod, number][] = [['minmax', 'minmax', 16], ['percentile', 'percentile', 16], ['percentile-8', 'percentile', 8], ['percentile-4', 'percentile', 4]];

export default async function bench(): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'transferkit-bench-calibration-'));
  try {
    const weights = join(dir, 'vgg16_notop.h5');
    await initWeights(weights, { includeTop: false, seed: 0 });
    const results: Record<string, Record<string, Record<string, { minCosine: number; maxRelativeError: number } | number>>> = {};
    for (const folder of FOLDERS) {
      const items = (await readdir(join(SHARED, folder))).sort().map((f) => ({ path: join(SHARED, folder, f) }));
      results[folder] = {};
      for (const [name, method, images] of VARIANTS) {
        const start = performance.now();
        const d = await resolvePrecision(items, { weights, inputSize: 224, resize: 'squash', cache: join(dir, 'cache'), engine: 'onnx', precision: 'int8', cuts: ['block5_pool'], calibration: { method, images, heldBack: 8 } });
        results[folder][name] = { ...d.calibration!.guard, seconds: Number(((performance.now() - start) / 1000).toFixed(2)) };
      }
    }
    return { what: 'int8 vs fp32 on the same 8 held-back images per folder, worst image, per pool, by method and calibration images; init-weights VGG16 at 224', loadAverage: loadavg()[0], results };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

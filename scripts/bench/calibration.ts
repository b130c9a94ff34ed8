/**
 * MinMax vs percentile int8 calibration: for three ../shared photo folders, calibrate init-weights
 * VGG16 at 224 both ways (same seeded sample: 16 images to calibrate on, 8 held back) and report the
 * guard's figures at every pool: the worst held-back image's cosine and relative error against fp32.
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

export default async function bench(): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'transferkit-bench-calibration-'));
  try {
    const weights = join(dir, 'vgg16_notop.h5');
    await initWeights(weights, { includeTop: false, seed: 0 });
    const results: Record<string, Record<string, Record<string, { minCosine: number; maxRelativeError: number }>>> = {};
    for (const folder of FOLDERS) {
      const items = (await readdir(join(SHARED, folder))).sort().map((f) => ({ path: join(SHARED, folder, f) }));
      results[folder] = {};
      for (const method of ['minmax', 'percentile'] as CalibrationMethod[]) {
        const d = await resolvePrecision(items, { weights, inputSize: 224, resize: 'squash', cache: join(dir, 'cache'), engine: 'onnx', precision: 'int8', cuts: ['block5_pool'], calibration: { method } });
        results[folder][method] = d.calibration!.guard;
      }
    }
    return { what: 'int8 vs fp32 on 8 held-back images per folder, worst image, per pool; init-weights VGG16 at 224', loadAverage: loadavg()[0], results };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

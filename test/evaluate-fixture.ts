import { join } from 'node:path';
import { initWeights } from '../src/models/init-weights.ts';
import type { TrainOptions } from '../src/training/options.ts';
import { train } from '../src/training/train.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

/** A finished run of the real `train` on generated shapes with random-init VGG16 weights (small and fast). */
export interface TinyRun {
  /** Temp folder holding everything below. */
  tmp: string;
  /** The generated dataset (train/ and validation/, classes circles and squares). */
  data: string;
  runDir: string;
}

/** Train a 2-epoch `freeze` run at 32x32 on a dozen images per class; `options` override. */
export async function trainTinyRun(prefix: string, options: TrainOptions = {}): Promise<TinyRun> {
  const tmp = await tempDir(prefix);
  const data = join(tmp, 'shapes');
  const weights = join(tmp, 'notop.h5');
  await makeShapesDataset(data, { perClass: 12, val: 6, seed: 3, size: 48 });
  await initWeights(weights, { includeTop: false, seed: 0 });
  const runDir = join(tmp, 'run');
  await train(
    data,
    // fp32 unless asked: these runs check that engines agree, and tfjs computes fp32 only.
    { strategy: 'freeze', epochs: 2, inputSize: 32, batchSize: 8, dense: 16, weights, cache: join(tmp, 'cache'), out: runDir, precision: 'fp32', ...options },
  );
  return { tmp, data, runDir };
}

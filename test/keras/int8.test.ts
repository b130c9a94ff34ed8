/**
 * int8 features from weights written by real Keras: tf.keras's VGG16(weights=None,
 * include_top=False) initialises and saves its own weights (save_weights, legacy HDF5); our int8
 * graph built from that file agrees with fp32 on the shared photos (per-image cosine >= 0.999).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolvePrecision } from '../../src/cache/precision.ts';
import { int8Agreement } from '../helpers/int8-fixture.ts';
import { ORACLE_DIR } from './oracle.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const shared = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared');
const photos = ['cat', 'dog', 'elephant', 'coffee'].map((n) => join(shared, 'photos', `${n}.jpg`));
const SIZE = 224;

test('int8 vs fp32 on the shared photos with Keras-written VGG16 weights: per-image cosine >= 0.999', async (t) => {
  const tmp = await tempDir('tk-int8-keras-');
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  const weights = join(tmp, 'vgg16_keras_init.h5');
  const script = `import sys, tf_keras\ntf_keras.utils.set_random_seed(0)\ntf_keras.applications.VGG16(weights=None, include_top=False).save_weights(sys.argv[1])`;
  await promisify(execFile)(join(ORACLE_DIR, '.venv', 'bin', 'python'), ['-c', script, weights], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  const trainDir = join(shared, 'datasets', 'hymenoptera', 'train', 'bees');
  const items = (await readdir(trainDir)).sort().map((f) => ({ path: join(trainDir, f) }));
  const decision = await resolvePrecision(items, { weights, inputSize: SIZE, resize: 'squash', cache: join(tmp, 'cache'), engine: 'onnx', precision: 'int8', cuts: ['block5_pool'] });
  t.is(decision.resolved.precision, 'int8', decision.message);
  const scores = await int8Agreement(weights, decision.calibration!.ranges, photos, SIZE);
  for (const [i, { cosine, relativeError }] of scores.entries()) t.true(cosine >= 0.999, `${photos[i]}: cosine ${cosine}, relative error ${relativeError}`);
});

// Precision and one-pass extraction on generated images (no ../shared): several cuts cost one pass,
// int8 features never answer an fp32 request, the calibration is computed once, and the guard
// falls back to fp32 when the calibration is broken.
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { extractFeatures, loadFeatures, type ExtractOptions } from '../src/cache/extract-features.ts';
import { GUARD_THRESHOLDS, resolvePrecision, type ResolvePrecisionOptions } from '../src/cache/precision.ts';
import { UserError } from '../src/errors.ts';
import { int8Fixture, type Int8Fixture } from './helpers/int8-fixture.ts';

const SIZE = 32;

const options = (f: Int8Fixture, extra: Partial<ExtractOptions> = {}): ExtractOptions => ({ weights: f.weights, inputSize: SIZE, cache: f.cache, engine: 'onnx', batchSize: 4, ...extra });
const precisionOptions = (f: Int8Fixture, extra: Partial<ResolvePrecisionOptions> = {}): ResolvePrecisionOptions => ({
  weights: f.weights, inputSize: SIZE, resize: 'squash', cache: f.cache, engine: 'onnx', precision: 'auto', cuts: ['block5_pool'], ...extra,
});

test.serial('three cuts requested in one run cost one pass: each image runs through the prefix once', async (t) => {
  const f = await int8Fixture(t, 6);
  const items = f.images.map((path) => ({ path }));
  const first = await extractFeatures(items, options(f, { cut: 'block5_pool', extraCuts: ['block3_pool', 'block4_pool'] }));
  t.is(first.computed, 6);
  t.deepEqual(Object.keys(first.fingerprints), ['block5_pool', 'block3_pool', 'block4_pool']);
  for (const cut of ['block3_pool', 'block4_pool', 'block5_pool']) {
    const again = await extractFeatures(items, options(f, { cut }));
    t.is(again.computed, 0, `${cut} was computed again`);
    t.is(again.engine, 'none', `${cut} started an engine`);
    const { shape } = await loadFeatures(items, options(f, { cut }));
    t.is(shape[0], 6);
  }
});

test.serial('the cache never serves int8 features to an fp32 request, and the calibration is computed once', async (t) => {
  const f = await int8Fixture(t, 8);
  const items = f.images.map((path) => ({ path }));
  const int8 = await extractFeatures(items, options(f, { precision: 'int8' }));
  t.is(int8.precision.precision, 'int8', int8.precisionDecision?.message);
  t.is(int8.engine, 'onnx-int8');
  const error = await t.throwsAsync(loadFeatures(items, options(f, { precision: { precision: 'fp32' } })), { instanceOf: UserError });
  t.regex(error.message, /no cached features/);
  const fp32 = await extractFeatures(items, options(f, { precision: 'fp32' }));
  t.is(fp32.computed, 8, 'fp32 reused int8 features');
  t.not(fp32.fingerprint, int8.fingerprint);
  // A second int8 run: same calibration, every feature reused, the calibration file not rewritten.
  const files = await readdir(join(f.cache, 'calibration'));
  const again = await extractFeatures(items, options(f, { precision: 'int8' }));
  t.deepEqual(again.precision, int8.precision);
  t.is(again.computed, 0);
  t.is(again.precisionDecision?.calibration?.created, int8.precisionDecision?.calibration?.created);
  t.deepEqual(await readdir(join(f.cache, 'calibration')), files);
});

test.serial('the guard falls back to fp32, in one message, when the calibration is broken', async (t) => {
  const f = await int8Fixture(t, 8);
  const items = f.images.map((path) => ({ path }));
  const good = await resolvePrecision(items, precisionOptions(f));
  t.is(good.resolved.precision, 'int8', good.message);
  t.false(good.fellBack);
  // Activation ranges 100x too small: every activation above 1 % of its range clips.
  const broken = await resolvePrecision(items, precisionOptions(f, {
    alterRanges: (r) => ({ ...r, activations: Object.fromEntries(Object.entries(r.activations).map(([k, v]) => [k, v / 100])) }),
  }));
  t.deepEqual(broken.resolved, { precision: 'fp32' });
  t.true(broken.fellBack);
  t.regex(broken.message, /^precision fp32: int8 features disagree with fp32 on \d+ held-back images at block5_pool/);
  t.false(broken.message.includes('\n'));
  t.true(broken.calibration!.guard.block5_pool!.minCosine < GUARD_THRESHOLDS.minCosine);
});

test.serial('auto uses fp32 where int8 cannot run: the tfjs engine, or too few images to calibrate', async (t) => {
  const f = await int8Fixture(t, 3);
  const items = f.images.map((path) => ({ path }));
  const tfjs = await resolvePrecision(items, precisionOptions(f, { engine: 'tfjs' }));
  t.deepEqual(tfjs.resolved, { precision: 'fp32' });
  t.regex(tfjs.message, /onnxruntime CPU only/);
  const few = await resolvePrecision(items, precisionOptions(f));
  t.deepEqual(few.resolved, { precision: 'fp32' });
  t.regex(few.message, /too few/);
  await t.throwsAsync(resolvePrecision(items, precisionOptions(f, { engine: 'tfjs', precision: 'int8' })), { instanceOf: UserError, message: /--precision int8 runs on the onnx engine/ });
});

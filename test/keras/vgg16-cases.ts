/**
 * VGG16 against Keras for one include_top setting: the four file layouts (tf-keras save_weights,
 * full-model .h5, Keras 3 .weights.h5, .keras) through the same entry points users call, on two
 * 224x224 PNGs (no resize) preprocessed by us.
 */
import * as tf from '@tensorflow/tfjs';
import test from 'ava';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.ts';
import { loadKerasModel } from '../../src/index.ts';
import { decodePredictions } from '../../src/models/imagenet.ts';
import { imagesToTensor } from '../../src/models/preprocess.ts';
import { vgg16 } from '../../src/models/vgg16.ts';
import { closeToKeras, FIXTURES, fixtures, modelWeightHashes, readF32, type Fixture } from './oracle.ts';

const CLASS_INDEX = Array.from({ length: 1000 }, (_, i) => ({ wnid: `n${i}`, label: `class_${i}` }));

/** weights-only files go through vgg16({weights}); full models through loadKerasModel. */
function load(fx: Fixture): Promise<tf.LayersModel> {
  const path = join(FIXTURES, fx.file);
  const weightsOnly = fx.format === 'legacy-weights' || fx.format === 'keras3-weights';
  return weightsOnly ? vgg16({ includeTop: fx.includeTop, weights: path }) : loadKerasModel(path);
}

/**
 * Our top-5 in decodePredictions order equals Keras's; a swap is accepted only where Keras's own
 * probabilities for the two classes are equal within `noise` (our observed max error): undecidable.
 */
function top5Mismatches(ours: Float32Array, keras: Float32Array, want: number[][], noise: number): string[] {
  const rows = want.map((_, i) => ours.subarray(i * 1000, (i + 1) * 1000));
  return decodePredictions(rows, 5, CLASS_INDEX).flatMap((preds, row) => {
    const got = preds.map((p) => p.index);
    const kp = keras.subarray(row * 1000, (row + 1) * 1000);
    const ok = got.every((idx, k) => idx === want[row]![k] || Math.abs(kp[idx]! - kp[want[row]![k]!]!) <= noise);
    return ok ? [] : [`image ${row}: our top-5 ${JSON.stringify(got)} vs Keras ${JSON.stringify(want[row])}`];
  });
}

export async function registerVgg16Tests(includeTop: boolean): Promise<void> {
  const cases = (await fixtures()).filter((f) => f.arch === 'vgg16' && f.includeTop === includeTop);

  test.before(async () => {
    await initBackend('wasm');
  });

  test.serial(`include_top=${includeTop}: all four Keras layouts are covered`, (t) => {
    t.deepEqual(cases.map((f) => f.format).sort(), ['keras-archive', 'keras3-weights', 'legacy-model', 'legacy-weights']);
  });

  test.serial(`include_top=${includeTop}: our preprocess_input on the PNGs equals Keras's`, async (t) => {
    const fx = cases[0]!;
    const x = await imagesToTensor(fx.images!.map((f) => join(FIXTURES, f)));
    t.deepEqual(x.shape, fx.input.shape);
    const r = closeToKeras(x.dataSync(), readF32(fx.input.file));
    t.true(r.maxErr <= 1e-4, `max abs error ${r.maxErr}`);
    x.dispose();
  });

  // Serial: a with-top VGG16 holds 553 MB of weights; one at a time keeps the wasm heap in bounds.
  for (const fx of cases) {
    test.serial(`include_top=${includeTop}: ${fx.file} (${fx.format}, ${fx.writer}) matches Keras`, async (t) => {
      const model = await load(fx);
      try {
        t.deepEqual(modelWeightHashes(model), fx.weights, 'weights differ from what Keras holds');
        const x = await imagesToTensor(fx.images!.map((f) => join(FIXTURES, f)));
        const y = model.predict(x) as tf.Tensor;
        t.deepEqual(y.shape, fx.output.shape);
        const ours = y.dataSync() as Float32Array;
        const keras = readF32(fx.output.file);
        const r = closeToKeras(ours, keras);
        t.true(r.ok, `max abs error ${r.maxErr} exceeds ${r.tol}`);
        if (fx.top5) t.deepEqual(top5Mismatches(ours, keras, fx.top5, 2 * r.maxErr), []);
        tf.dispose([x, y]);
      } finally {
        model.dispose();
      }
    });
  }
}

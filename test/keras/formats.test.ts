// One VGG16 saved by Keras in every format a user may have: the feature engine (extract) and the
// ImageNet classifier (predict --weights) accept each, and agree with the legacy file and with Keras.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.ts';
import { createEngine } from '../../src/models/engines/index.ts';
import { predictImagenet } from '../../src/models/predict.ts';
import { imagesToTensor } from '../../src/models/preprocess.ts';
import { train } from '../../src/training/train.ts';
import { makeShapesDataset } from '../training-shapes.ts';
import { kerasIo } from './oracle.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const PHOTOS = new URL('../../../shared/photos/', import.meta.url).pathname;
const LABELS = new URL('../../../shared/imagenet/imagenet_class_index.json', import.meta.url).pathname;
const photos = readdirSync(PHOTOS).sort().map((f) => join(PHOTOS, f));

let dir: string;
let files: Record<string, string>;
test.before(async () => {
  await initBackend('wasm');
  dir = await tempDir('transferkit-keras-formats-');
  ({ files } = await kerasIo<{ files: Record<string, string> }>({ op: 'vgg16', images: photos, out: dir }));
});
test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** block5_pool features of the photos from `file`, on the engine extract uses. */
async function features(file: string): Promise<Float32Array> {
  const engine = await createEngine({ weights: join(dir, file), engine: 'onnx' });
  try {
    const x = await imagesToTensor(photos);
    const batch = x.dataSync() as Float32Array;
    x.dispose();
    return (await engine.run(batch, photos.length)).slice();
  } finally {
    await engine.dispose();
  }
}

test.serial('every Keras format gives the legacy file features to 1e-5 and Keras top-5 on every photo', async (t) => {
  t.deepEqual(Object.values(files).sort(), ['keras-archive', 'keras-archive', 'keras3-weights', 'legacy-model', 'legacy-weights']);
  const reference = await features('tf_keras.weights.h5');
  const buf = readFileSync(join(dir, 'probs.bin'));
  const keras = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  for (const file of Object.keys(files)) {
    const ours = await features(file);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - reference[i]!));
    t.true(ours.length === reference.length && worst <= 1e-5, `${file}: features differ by ${worst}`);
    const predicted = await predictImagenet(photos, { weights: join(dir, file), labels: LABELS });
    for (const [i, { predictions }] of predicted.entries()) {
      const row = Array.from(keras.subarray(i * 1000, (i + 1) * 1000));
      const want = row.map((p, k) => [p, k] as const).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([, k]) => k);
      t.deepEqual(predictions.map((p) => p.index), want, `${file} on ${photos[i]}`);
    }
  }
});

test.serial('train (freeze) runs from every Keras format with the same learning curve as from the legacy file', async (t) => {
  const data = join(dir, 'shapes');
  await makeShapesDataset(data, { perClass: 8, val: 4, seed: 5, size: 40 });
  const curves = new Map<string, number[]>();
  for (const [i, file] of Object.keys(files).entries()) {
    // Folder names without dots: lmdb takes a path with an extension for a single-file store.
    const { history } = await train(
      data,
      { strategy: 'freeze', epochs: 2, inputSize: 32, batchSize: 8, dense: 8, seed: 3, weights: join(dir, file), cache: join(dir, `cache-${i}`), out: join(dir, `run-${i}`) },
    );
    curves.set(file, history.flatMap((e) => [e.loss, e.val_loss]));
  }
  const reference = curves.get('tf_keras.weights.h5')!;
  for (const [file, curve] of curves) {
    const worst = Math.max(...curve.map((v, i) => Math.abs(v - reference[i]!)));
    t.true(worst <= 1e-5, `${file}: loss curve ${curve.join(', ')} vs legacy ${reference.join(', ')}`);
  }
});

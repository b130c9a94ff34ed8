import test from 'ava';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { initBackend } from '../../src/backend/index.ts';
import { modelWeights, readKerasFile, writeLegacyWeights } from '../../src/keras/index.ts';
import { loadClassIndex } from '../../src/models/imagenet.ts';
import { initWeights } from '../../src/models/init-weights.ts';
import { vgg16 } from '../../src/models/vgg16.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const shared = resolve(repo, '..', 'shared');
const labels = join(shared, 'imagenet', 'imagenet_class_index.json');
const elephant = join(shared, 'photos', 'elephant.jpg');
const cli = join(repo, 'bin', 'transferkit.js');

// One with-top file (~528 MB) for the whole file: generating it is the slow part.
let dir = '';
let weights = '';

test.before(async () => {
  await initBackend();
  dir = await tempDir('tk-shared-predict-');
  weights = join(dir, 'vgg16_init.h5');
  await initWeights(weights, { seed: 42 });
});

test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('init-weights (with top) -> load -> write -> load gives identical tensors', async (t) => {
  const model = await vgg16({ weights });
  const resaved = join(dir, 'resaved.h5');
  await writeLegacyWeights(resaved, modelWeights(model));
  model.dispose();
  const a = (await readKerasFile(weights)).layers.filter((l) => l.weights.length > 0);
  const b = (await readKerasFile(resaved)).layers.filter((l) => l.weights.length > 0);
  t.deepEqual(b.map((l) => l.name), a.map((l) => l.name));
  t.is(a.at(-1)?.name, 'predictions');
  for (const [i, layer] of a.entries()) {
    for (const [j, w] of layer.weights.entries()) {
      const other = b[i]!.weights[j]!;
      t.deepEqual(other.shape, w.shape);
      const same = Buffer.from(other.data.buffer, other.data.byteOffset, other.data.byteLength).equals(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
      t.true(same, `${layer.name} weight ${j}`);
    }
  }
  await rm(resaved);
});

test.serial('predict on elephant.jpg prints 5 ImageNet labels with probabilities summing to <= 1', async (t) => {
  const run = (...args: string[]) => promisify(execFile)('node', [cli, 'predict', '--weights', weights, '--labels', labels, ...args], { maxBuffer: 1 << 20 });
  const json = JSON.parse((await run('--json', elephant)).stdout) as Array<{ image: string; predictions: Array<{ index: number; wnid: string; label: string; probability: number }> }>;
  t.is(json.length, 1);
  t.is(json[0]?.image, elephant);
  const predictions = json[0]!.predictions;
  t.is(predictions.length, 5);
  const classes = loadClassIndex(labels);
  for (const p of predictions) {
    t.deepEqual({ wnid: p.wnid, label: p.label }, classes[p.index]);
    t.true(p.probability >= 0 && p.probability <= 1);
  }
  const probabilities = predictions.map((p) => p.probability);
  t.deepEqual(probabilities, [...probabilities].sort((x, y) => y - x));
  t.true(probabilities.reduce((s, p) => s + p, 0) <= 1 + 1e-6);

  const text = (await run(elephant)).stdout.trim().split('\n');
  t.is(text[0], elephant);
  t.is(text.length, 6);
  t.regex(text[1]!, /^ {2}1\. \S+ \(n\d{8}\) {2}\d\.\d{4}$/);
});

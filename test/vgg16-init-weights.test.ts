import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';
import { modelWeights, readKerasFile, writeLegacyWeights } from '../src/keras/index.ts';
import type { LayerWeights } from '../src/keras/types.ts';
import { glorotLimit, initWeights, vgg16InitialWeights } from '../src/models/init-weights.ts';
import { vgg16 } from '../src/models/vgg16.ts';
import { VGG16_LAYER_NAMES } from '../src/models/vgg16-spec.ts';
import { tempDir } from './helpers/temp-dir.ts';

const cli = fileURLToPath(new URL('../bin/transferkit.js', import.meta.url));

test.before(async () => {
  await initBackend();
});

test.serial('glorotLimit uses Keras fans: receptive field times channels for conv kernels', (t) => {
  t.is(glorotLimit([3, 3, 3, 64]), Math.sqrt(6 / (9 * 3 + 9 * 64)));
  t.is(glorotLimit([25088, 4096]), Math.sqrt(6 / (25088 + 4096)));
});

test.serial('no-top weights: Keras layer order, glorot-uniform kernels within limits, zero biases', (t) => {
  const layers = vgg16InitialWeights({ includeTop: false, seed: 3 });
  t.deepEqual(layers.map((l) => l.name), ['input_1', ...VGG16_LAYER_NAMES]);
  t.deepEqual(layers.find((l) => l.name === 'block1_pool')?.weights, []);
  let total = 0;
  for (const layer of layers.filter((l) => l.weights.length > 0)) {
    const [kernel, bias] = layer.weights;
    t.is(kernel?.name, `${layer.name}/kernel:0`);
    t.is(bias?.name, `${layer.name}/bias:0`);
    t.true(bias!.data.every((v) => v === 0), `${layer.name} bias`);
    const limit = glorotLimit(kernel!.shape);
    const data = kernel!.data;
    let sum = 0;
    let sumSq = 0;
    let max = 0;
    for (const v of data) {
      sum += v;
      sumSq += v * v;
      max = Math.max(max, Math.abs(v));
    }
    // Uniform(-l, l): mean 0, variance l^2/3; n >= 1728 values keep both well inside these bounds.
    t.true(max <= limit, `${layer.name} max ${max} > limit ${limit}`);
    t.true(max > 0.99 * limit, `${layer.name} does not span the range`);
    t.true(Math.abs(sum / data.length) < 0.05 * limit, `${layer.name} mean`);
    t.true(Math.abs(sumSq / data.length / (limit * limit / 3) - 1) < 0.05, `${layer.name} variance`);
    total += data.length + bias!.data.length;
  }
  t.is(total, 14_714_688);
  t.deepEqual(layers.find((l) => l.name === 'block3_conv1')?.weights[0]?.shape, [3, 3, 128, 256]);
});

test.serial('the same seed gives identical weights; another seed different ones', (t) => {
  const a = vgg16InitialWeights({ includeTop: false, seed: 7 });
  const b = vgg16InitialWeights({ includeTop: false, seed: 7 });
  const c = vgg16InitialWeights({ includeTop: false, seed: 8 });
  const kernel = (l: LayerWeights[], i: number) => l.filter((x) => x.weights.length)[i]!.weights[0]!.data;
  for (let i = 0; i < 13; i++) t.deepEqual(kernel(a, i), kernel(b, i));
  t.notDeepEqual(kernel(a, 0), kernel(c, 0));
  t.notDeepEqual(kernel(a, 1).subarray(0, 100), kernel(a, 2).subarray(0, 100));
});

test.serial('init-weights -> load -> write -> load gives identical tensors (no top)', async (t) => {
  const dir = await tempDir('tk-init-');
  const first = join(dir, 'init.h5');
  const second = join(dir, 'resaved.h5');
  await initWeights(first, { includeTop: false, seed: 1 });
  const model = await vgg16({ includeTop: false, inputShape: [32, 32, 3], weights: first });
  await writeLegacyWeights(second, modelWeights(model));
  model.dispose();
  const [a, b] = [await readKerasFile(first), await readKerasFile(second)];
  t.is(a.format, 'legacy-weights');
  const weighted = (f: typeof a) => f.layers.filter((l) => l.weights.length > 0);
  t.deepEqual(weighted(a).map((l) => l.name), weighted(b).map((l) => l.name));
  for (const [i, layer] of weighted(a).entries()) {
    for (const [j, w] of layer.weights.entries()) {
      const other = weighted(b)[i]!.weights[j]!;
      t.deepEqual(other.shape, w.shape);
      t.true(Buffer.from(other.data.buffer, other.data.byteOffset, other.data.byteLength).equals(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)), `${layer.name}/${w.name}`);
    }
  }
  t.is(tf.memory().numTensors, 0);
});

test.serial('CLI init-weights --no-top --seed writes the same file for the same seed', async (t) => {
  const dir = await tempDir('tk-init-');
  const run = (out: string, seed: string) => promisify(execFile)('node', [cli, 'init-weights', '--out', out, '--no-top', '--seed', seed]);
  const { stdout } = await run(join(dir, 'a.h5'), '5');
  t.regex(stdout, /Wrote .*a\.h5/);
  await run(join(dir, 'b.h5'), '5');
  const [a, b] = [await readKerasFile(join(dir, 'a.h5')), await readKerasFile(join(dir, 'b.h5'))];
  t.deepEqual(a.layers.map((l) => l.name), ['input_1', ...VGG16_LAYER_NAMES]);
  t.deepEqual(a.layers.map((l) => l.weights.map((w) => w.data)), b.layers.map((l) => l.weights.map((w) => w.data)));
  const bad = await t.throwsAsync(run(join(dir, 'c.h5'), '-1'));
  t.is((bad as unknown as { code: number }).code, 2, 'an invalid option value is a usage error');
  t.regex((bad as unknown as { stderr: string }).stderr, /^transferkit: Invalid init-weights options \(--seed: /);
});

/**
 * `--head vgg` end to end: freeze at 224 with VGG16's own fc1/fc2 (from with-top random-init
 * weights, 528 MB generated into a temp dir) and a new 2-way `predictions`. Checks that fc1 stays
 * the file's, the layers chosen with --vgg-train change, and that no-top weights are refused with
 * the fix in the message. Lives in the shared suite for its size and time (with-top weights, 224).
 */
import test from 'ava';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { modelWeights, readKerasFile, type LayerWeights } from '../../src/keras/index.ts';
import { initWeights } from '../../src/models/init-weights.ts';
import { RUN_FILES } from '../../src/run/files.ts';
import { loadRun } from '../../src/run/load-run.ts';
import { train } from '../../src/training/train.ts';
import { makeShapesDataset } from '../training-shapes.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const tmp = await tempDir('tk-vgg-head-');
const data = join(tmp, 'shapes');
const top = join(tmp, 'top.h5');
const notop = join(tmp, 'notop.h5');
await makeShapesDataset(data, { perClass: 4, val: 2, seed: 5 });
await initWeights(top, { includeTop: true, seed: 0 });
await initWeights(notop, { includeTop: false, seed: 0 });
const cache = join(tmp, 'cache');
test.after.always(() => rm(tmp, { recursive: true, force: true }));

const layer = (layers: LayerWeights[], name: string): LayerWeights => {
  const found = layers.find((l) => l.name === name);
  if (!found) throw new Error(`no ${name} in ${layers.map((l) => l.name).join(', ')}`);
  return found;
};
const same = (a: LayerWeights, b: LayerWeights): boolean => a.weights.every((w, i) => w.data.every((v, j) => v === b.weights[i]!.data[j]));

for (const vggTrain of [['fc2', 'predictions'], ['predictions']] satisfies Array<Array<'fc1' | 'fc2' | 'predictions'>>) {
  test.serial(`--head vgg --vgg-train ${vggTrain.join(',')}: keeps the file's fc1, trains only those layers`, async (t) => {
    const out = join(tmp, `run-${vggTrain.join('-')}`);
    const result = await train(data, { strategy: 'freeze', head: 'vgg', vggTrain, vggDropout: 0.2, epochs: 2, batchSize: 4, weights: top, cache, out });
    t.is(result.history.length, 2);
    const original = (await readKerasFile(top)).layers;
    // The run stores fc1, fc2 and predictions; loadRun adds the frozen conv base from the weights file.
    t.deepEqual((await readKerasFile(join(out, RUN_FILES.modelWeights))).layers.filter((l) => l.weights.length > 0).map((l) => l.name), ['fc1', 'fc2', 'predictions']);
    const run = await loadRun(out);
    const saved = modelWeights(run.model);
    run.model.dispose();
    t.true(same(layer(saved, 'fc1'), layer(original, 'fc1')), 'fc1 is the pretrained one and never trains');
    t.is(same(layer(saved, 'fc2'), layer(original, 'fc2')), !vggTrain.includes('fc2'));
    t.deepEqual(layer(saved, 'predictions').weights.map((w) => w.shape), [[4096, 2], [2]]);
    t.true(same(layer(saved, 'block5_conv3'), layer(original, 'block5_conv3')));
  });
}

test.serial('--head vgg with no-top weights says which file to pass', async (t) => {
  await t.throwsAsync(train(data, { strategy: 'freeze', head: 'vgg', epochs: 1, weights: notop, cache, out: join(tmp, 'vgg-notop') }), {
    message: /has no usable fc1, fc2; pass with-top weights \(`transferkit fetch-weights --top` downloads vgg16_weights_tf_dim_ordering_tf_kernels\.h5/,
  });
});

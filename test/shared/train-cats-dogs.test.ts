import test from 'ava';
import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initWeights } from '../../src/models/init-weights.ts';
import { RUN_FILES, loadRun } from '../../src/training/run-dir.ts';
import { train } from '../../src/training/train.ts';
import type { TrainOptions } from '../../src/training/options.ts';

const shared = resolve(fileURLToPath(new URL('../../', import.meta.url)), '..', 'shared');
const data = join(shared, 'datasets', 'cats-dogs');
const tmp = await mkdtemp(join(tmpdir(), 'tk-cats-dogs-'));
const notop = join(tmp, 'notop.h5');
await initWeights(notop, { includeTop: false, seed: 0 });
const cache = join(tmp, 'cache');

/**
 * Every strategy completes a 2-epoch run on cats-dogs (init-weights weights) and writes the run
 * directory. freeze and slice run at 224 (features cached once by the fast engine); finetune and
 * retrain train conv layers on wasm, ~7 s / ~25 s per step of 8 at 224, so they run at 64 here.
 */
const runs: Array<[string, TrainOptions]> = [
  ['freeze', { strategy: 'freeze', inputSize: 224 }],
  ['slice', { strategy: 'slice', sliceAt: 'block3_pool', inputSize: 224 }],
  ['finetune', { strategy: 'finetune', inputSize: 64 }],
  ['retrain', { strategy: 'retrain', inputSize: 64 }],
];

for (const [name, options] of runs) {
  test.serial(`${name}: 2 epochs on cats-dogs write the run directory`, async (t) => {
    const out = join(tmp, name);
    const result = await train(data, { ...options, epochs: 2, weights: notop, cache, out, batchSize: 16, quiet: true }, { log: () => {} });
    t.is(result.history.length, 2);
    for (const f of Object.values(RUN_FILES)) await t.notThrowsAsync(access(join(out, f)), f);
    t.deepEqual(JSON.parse(await readFile(join(out, RUN_FILES.classes), 'utf8')), ['cats', 'dogs']);
    const run = await loadRun(out);
    t.deepEqual(run.model.outputs[0]!.shape, [null, 2]);
    run.model.dispose();
  });
}

test.serial('--head vgg needs with-top weights and says so', async (t) => {
  await t.throwsAsync(train(data, { strategy: 'freeze', head: 'vgg', epochs: 1, weights: notop, cache, out: join(tmp, 'vgg-notop'), quiet: true }, { log: () => {} }), {
    message: /with-top weights/,
  });
});

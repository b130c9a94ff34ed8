import test from 'ava';
import { readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EXPORT_FILES, exportRun } from '../src/export/export-run.ts';
import { readKerasFile, type LayerWeights } from '../src/keras/index.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { RUN_FILES } from '../src/run/files.ts';
import { loadRun } from '../src/run/load-run.ts';
import type { ModelDescription } from '../src/run/schemas.ts';
import { trainTinyRun } from './evaluate-fixture.ts';

const byName = (layers: readonly LayerWeights[]): Map<string, LayerWeights> => new Map(layers.filter((l) => l.weights.length > 0).map((l) => [l.name, l]));

for (const strategy of ['freeze', 'finetune'] as const) {
  test.serial(`${strategy}: the run stores only the trained layers plus a sha256 reference; export rebuilds the whole model bit for bit`, async (t) => {
    const { tmp, runDir } = await trainTinyRun(`tk-frozen-${strategy}-`, { strategy });
    const weightsFile = join(tmp, 'notop.h5');
    const description = JSON.parse(await readFile(join(runDir, RUN_FILES.model), 'utf8')) as ModelDescription;
    t.is(description.frozen?.path, weightsFile);
    t.regex(description.frozen?.sha256 ?? '', /^[0-9a-f]{64}$/);

    const stored = byName((await readKerasFile(join(runDir, RUN_FILES.modelWeights))).layers);
    const trained = byName((await readKerasFile(join(runDir, RUN_FILES.checkpoint))).layers);
    const frozen = byName((await readKerasFile(weightsFile)).layers);
    t.deepEqual([...stored.keys()], [...trained.keys()], 'model.weights.h5 holds the trained layers and nothing else');
    const paramBytes = (layers: Iterable<LayerWeights>): number => [...layers].reduce((n, l) => n + l.weights.reduce((m, w) => m + w.data.length * 4, 0), 0);
    const runBytes = (await stat(join(runDir, RUN_FILES.modelWeights))).size;
    const frozenBytes = paramBytes([...frozen.values()].filter((l) => !trained.has(l.name)));
    t.log(`model.weights.h5 ${runBytes} bytes (trained layers ${paramBytes(trained.values())}); the frozen layers' ${frozenBytes} bytes stay in ${weightsFile} (${(await stat(weightsFile)).size} bytes)`);
    t.true(runBytes < paramBytes(trained.values()) + 100_000, 'the trained layers plus HDF5 overhead, no frozen layer');

    // The model before: the frozen layers as in the weights file, the trained ones as checkpointed.
    const exported = byName((await readKerasFile(join((await exportRun(runDir, 'keras-h5')).dir, EXPORT_FILES['keras-h5']))).layers);
    const expected = new Map([...frozen].filter(([name]) => exported.has(name) && !trained.has(name)));
    for (const [name, layer] of trained) expected.set(name, layer);
    t.deepEqual([...exported.keys()].sort(), [...expected.keys()].sort());
    for (const [name, layer] of exported) {
      layer.weights.forEach((w, i) => t.deepEqual(w.data, expected.get(name)!.weights[i]!.data, `${name} weight ${i}`));
    }
  });
}

test.serial('a missing or changed frozen weights file is named, with the fix', async (t) => {
  const { tmp, runDir } = await trainTinyRun('tk-frozen-missing-');
  const weightsFile = join(tmp, 'notop.h5');
  await rename(weightsFile, `${weightsFile}.moved`);
  await t.throwsAsync(loadRun(runDir), { message: `${join(runDir, RUN_FILES.model)} takes its frozen VGG16 layers from ${weightsFile}, which is missing; put that weights file back there (sha256 ${((JSON.parse(await readFile(join(runDir, RUN_FILES.model), 'utf8')) as ModelDescription).frozen!.sha256)}).` });
  await initWeights(weightsFile, { includeTop: false, seed: 1 });
  await t.throwsAsync(loadRun(runDir), { message: new RegExp(`^${weightsFile} has sha256 [0-9a-f]{64}, but .*model\\.json was trained on the file with sha256 [0-9a-f]{64}; put the original weights file back at that path\\.$`) });
  await rename(`${weightsFile}.moved`, weightsFile);
  const run = await loadRun(runDir);
  t.is(run.classes.length, 2);
  run.model.dispose();
});

import test from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { diagnose } from '../src/cli/diagnose.ts';
import { formatDiagnosis } from '../src/cli/doctor.ts';
import { scanDataset } from '../src/data/scan.ts';
import { RANDOM_INIT_ATTR, writeString } from '../src/keras/h5-attrs.ts';
import { loadH5 } from '../src/keras/h5.ts';
import { readKerasFile, readRandomInitMarker, writeLegacyWeights } from '../src/keras/index.ts';
import { OFFICIAL_FILES } from '../src/models/fetch.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { advise } from '../src/training/advisor.ts';
import { writeFullModelFixture, writeKeras3Fixture } from './keras-fixtures.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

const tmp = await tempDir('tk-random-init-');
const dense = { name: 'fc', weights: [{ name: 'fc/kernel:0', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }] };

/** Add the marker to an HDF5 file another writer made, as a converted random-init file would carry it. */
async function mark(path: string, value: string): Promise<void> {
  const h5 = new (await loadH5()).File(path, 'a');
  try {
    writeString(h5, RANDOM_INIT_ATTR, value);
  } finally {
    h5.close();
  }
}

test('init-weights files carry the marker; plain Keras files do not', async (t) => {
  const marked = join(tmp, 'init.h5');
  await initWeights(marked, { includeTop: false, seed: 7 });
  t.is((await readKerasFile(marked)).randomInit, 'glorot_uniform seed 7');
  t.is(await readRandomInitMarker(marked), 'glorot_uniform seed 7');
  const plain = join(tmp, 'plain.h5');
  await writeLegacyWeights(plain, [dense]);
  t.is((await readKerasFile(plain)).randomInit, undefined);
  t.is(await readRandomInitMarker(plain), undefined);
});

test('the marker is recognised in full-model .h5, Keras 3 .weights.h5 and .keras archives', async (t) => {
  const full = join(tmp, 'full.h5');
  await writeFullModelFixture(full, { layers: [dense], kerasVersion: '2.15.0', modelConfig: { class_name: 'Sequential', config: { layers: [] } } });
  const keras3 = join(tmp, 'k3.weights.h5');
  await writeKeras3Fixture(keras3, { dense: { vars: dense.weights } });
  for (const path of [full, keras3]) {
    t.is(await readRandomInitMarker(path), undefined, path);
    await mark(path, 'glorot_uniform seed 3');
    t.is((await readKerasFile(path)).randomInit, 'glorot_uniform seed 3', path);
    t.is(await readRandomInitMarker(path), 'glorot_uniform seed 3', path);
  }
  const archive = join(tmp, 'model.keras');
  await writeFile(archive, zipSync({ 'config.json': strToU8('{}'), 'model.weights.h5': new Uint8Array(await readFile(keras3)) }));
  t.is((await readKerasFile(archive)).randomInit, 'glorot_uniform seed 3');
  t.is(await readRandomInitMarker(archive), 'glorot_uniform seed 3');
});

test('doctor calls random-init weights under the official name random-init, not a partial download', async (t) => {
  const models = join(tmp, 'models');
  await mkdir(models);
  await initWeights(join(models, OFFICIAL_FILES.notop.name), { includeTop: false, seed: 0 });
  const report = await diagnose({ modelsDir: models, backend: 'cpu' });
  t.is(report.weights.files[0]?.randomInit, 'glorot_uniform seed 0');
  const line = formatDiagnosis(report).split('\n').find((l) => l.includes(OFFICIAL_FILES.notop.name))!;
  t.regex(line, /random-init weights from transferkit init-weights \(glorot_uniform seed 0\), not ImageNet's \(under the official name\)/);
  t.notRegex(line, /SIZE DIFFERS|partial download/);
});

test('the advisor says its probes measured random-init features, not likeness to ImageNet', async (t) => {
  const data = join(tmp, 'shapes');
  await makeShapesDataset(data, { perClass: 6, val: 2, seed: 4 });
  const weights = join(tmp, 'advise.h5');
  await initWeights(weights, { includeTop: false, seed: 1 });
  const advice = await advise(await scanDataset(data, { valSplit: 0.2, seed: 0 }), { weights, inputSize: 32, cache: join(tmp, 'cache') });
  t.is(advice.randomInit, 'glorot_uniform seed 1');
  t.regex(advice.reasons[1]!, /^linear probe on block5_pool features of random-init weights: /);
  t.regex(advice.reasons[2]!, /measured on random-init weights it says nothing about how close the images are to ImageNet's/);
});

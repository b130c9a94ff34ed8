import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeShapesDataset } from './training-shapes.ts';
import { freePort } from './helpers/free-port.ts';
import type { WeightsEvent } from '../src/training/events.ts';
import { tempDir } from './helpers/temp-dir.ts';

const CLI = new URL('../bin/transferkit.js', import.meta.url).pathname;
const NOTOP = 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5';
const TOP = 'vgg16_weights_tf_dim_ordering_tf_kernels.h5';

test('train without weights goes to download the official file; offline it fails in one line naming both ways out', async (t) => {
  const root = await tempDir('tk-weights-');
  await makeShapesDataset(join(root, 'data'), { perClass: 3, val: 2, seed: 1, size: 32 });
  const models = join(root, 'models');
  const env = { ...process.env, TRANSFERKIT_MODELS_DIR: models, TRANSFERKIT_WEIGHTS_BASE_URL: `http://127.0.0.1:${await freePort()}/` };
  const err = await t.throwsAsync(promisify(execFile)('node', [CLI, 'train', join(root, 'data'), '--strategy', 'freeze', '--out', join(root, 'run')], { env }));
  const { code, stderr } = err as unknown as { code: number; stderr: string };
  t.is(code, 1);
  const last = stderr.trim().split('\n').at(-1) ?? '';
  t.regex(last, /^transferkit: cannot download http:\/\/127\.0\.0\.1:\d+\/vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5 /);
  t.true(last.includes(`init-weights --no-top --out ${join(models, NOTOP)}`), last);
  t.true(last.includes('--weights FILE'), last);
  t.false(stderr.includes('    at '), 'no stack trace');
  t.true(stderr.includes(`no VGG16 weights in ${models}; fetching the official ImageNet file (once)`), 'the CLI renders the library event');
});

test.serial('resolveWeightsPath reports the missing weights and the download as events, and prints nothing', async (t) => {
  const saved = { models: process.env.TRANSFERKIT_MODELS_DIR, base: process.env.TRANSFERKIT_WEIGHTS_BASE_URL, keras: process.env.KERAS_HOME };
  const models = await tempDir('tk-models-none-');
  process.env.TRANSFERKIT_MODELS_DIR = models;
  process.env.KERAS_HOME = models;
  process.env.TRANSFERKIT_WEIGHTS_BASE_URL = `http://127.0.0.1:${await freePort()}/`;
  t.teardown(() => {
    for (const [name, value] of [['TRANSFERKIT_MODELS_DIR', saved.models], ['TRANSFERKIT_WEIGHTS_BASE_URL', saved.base], ['KERAS_HOME', saved.keras]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const { resolveWeightsPath } = await import('../src/training/train.ts');
  const events: WeightsEvent[] = [];
  await t.throwsAsync(resolveWeightsPath({ weights: undefined, head: 'gap' }, (e) => events.push(e)), { message: /cannot download/ });
  t.deepEqual(events[0], { type: 'weights-missing', dir: models });
  t.true(events.slice(1).every((e) => e.type === 'download'));
});

test('weights already in TRANSFERKIT_MODELS_DIR are used without any download', async (t) => {
  const models = await tempDir('tk-models-');
  process.env.TRANSFERKIT_MODELS_DIR = models;
  process.env.TRANSFERKIT_WEIGHTS_BASE_URL = `http://127.0.0.1:${await freePort()}/`;
  await writeFile(join(models, NOTOP), 'placeholder: resolution only checks presence');
  const { resolveWeightsPath } = await import('../src/training/train.ts');
  t.is(await resolveWeightsPath({ weights: undefined, head: 'gap' }), join(models, NOTOP));
  await t.throwsAsync(resolveWeightsPath({ weights: join(models, 'missing.h5'), head: 'gap' }), { message: /missing\.h5 not found/ });
});

test.serial('an official file Keras already downloaded (KERAS_HOME/models) is used when the models folder has none', async (t) => {
  const kerasHome = await tempDir('tk-keras-home-');
  await mkdir(join(kerasHome, 'models'));
  await writeFile(join(kerasHome, 'models', TOP), 'placeholder: resolution only checks presence');
  const saved = { models: process.env.TRANSFERKIT_MODELS_DIR, keras: process.env.KERAS_HOME };
  process.env.TRANSFERKIT_MODELS_DIR = await tempDir('tk-models-empty-');
  process.env.KERAS_HOME = kerasHome;
  t.teardown(() => {
    for (const [name, value] of [['TRANSFERKIT_MODELS_DIR', saved.models], ['KERAS_HOME', saved.keras]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const { resolveWeightsPath } = await import('../src/training/train.ts');
  t.is(await resolveWeightsPath({ weights: undefined, head: 'vgg' }), join(kerasHome, 'models', TOP));
  t.is(await resolveWeightsPath({ weights: undefined, head: 'gap' }), join(kerasHome, 'models', TOP), 'no notop anywhere: the with-top file serves the gap head');
});

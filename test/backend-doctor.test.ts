/** `transferkit doctor` run as users run it: the real CLI in a child process. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnosis } from '../src/cli/diagnose.ts';
import { installedVersion } from '../src/backend/installed-packages.ts';
import { int8WeightBits } from '../src/models/engines/calibrate.ts';
import { OFFICIAL_FILES } from '../src/models/fetch.ts';
import { tempDir } from './helpers/temp-dir.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const childEnv = { ...process.env, ...env };
  if (!('TRANSFERKIT_BACKEND' in env)) delete childEnv.TRANSFERKIT_BACKEND;
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin', 'transferkit.js'), ...args], { cwd: root, env: childEnv }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let models: string;
let kerasHome: string;
const officialBytes = Buffer.from('not really the VGG16 notop weights');
const otherBytes = Buffer.from('my own model');

test.before(async () => {
  models = await tempDir('transferkit-doctor-');
  await writeFile(join(models, OFFICIAL_FILES.notop.name), officialBytes);
  await writeFile(join(models, 'mine.keras'), otherBytes);
  await writeFile(join(models, 'notes.txt'), 'not weights');
  kerasHome = await tempDir('transferkit-keras-home-');
  await mkdir(join(kerasHome, 'models'));
  await writeFile(join(kerasHome, 'models', OFFICIAL_FILES.top.name), officialBytes);
  await writeFile(join(kerasHome, 'models', 'resnet50_weights_tf_dim_ordering_tf_kernels.h5'), otherBytes);
});

test.after.always(async () => {
  await rm(models, { recursive: true, force: true });
  await rm(kerasHome, { recursive: true, force: true });
});

test('doctor --json reports backends with reasons, engines, versions and weights', async (t) => {
  const run = await cli(['doctor', '--json', '--md5', '--models-dir', models], { KERAS_HOME: kerasHome });
  t.is(run.code, 0, run.stderr);
  const d = JSON.parse(run.stdout) as Diagnosis;
  t.is(d.node.version, process.version);
  t.is(d.backend.candidates.map((c) => c.name).join(','), 'tensorflow-gpu,tensorflow,wasm,cpu');
  // auto takes the first backend that loads: everything before the active one says why it did not.
  t.is(d.backend.active, d.backend.candidates.find((c) => c.status !== 'unavailable')?.name ?? null);
  for (const c of d.backend.candidates.filter((c) => c.status === 'unavailable')) t.truthy(c.reason, `${c.name} has a reason`);
  t.deepEqual(d.backend.candidates.find((c) => c.name === 'cpu')?.status, 'available');
  t.is(d.backend.wasm?.threads, false, 'wasm threads are disabled in Node');
  t.deepEqual(d.engines.map((e) => e.engine), ['onnx', 'tfjs']);
  t.true(d.engines.find((e) => e.engine === 'onnx')?.available);
  t.is(d.int8.weightBits, await int8WeightBits(), 'int8 weight bits as extraction picks them on this CPU');
  t.is(d.packages['@tensorflow/tfjs'], installedVersion('@tensorflow/tfjs'));
  t.is(d.packages.sharp, installedVersion('sharp'));
  t.regex(d.packages.libvips ?? '', /^\d+\.\d+/);
  t.is(d.packages.h5wasm, installedVersion('h5wasm'));
  t.is(d.packages['onnxruntime-node'], installedVersion('onnxruntime-node'));
  const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
  t.deepEqual(d.weights.files, [
    { name: 'mine.keras', bytes: otherBytes.length, official: null, md5: md5(otherBytes) },
    { name: OFFICIAL_FILES.notop.name, bytes: officialBytes.length, official: 'notop', sizeMatches: false, md5: md5(officialBytes), md5Matches: false },
  ]);
  t.is(d.weights.keras.dir, join(kerasHome, 'models'));
  t.deepEqual(d.weights.keras.files.map((f) => f.name), [OFFICIAL_FILES.top.name], "only VGG16's official files from Keras's folder");
});

test('doctor follows --backend and TRANSFERKIT_BACKEND; the plain report names each backend', async (t) => {
  const byFlag = await cli(['--backend', 'cpu', 'doctor', '--json', '--models-dir', models]);
  t.is((JSON.parse(byFlag.stdout) as Diagnosis).backend.active, 'cpu');
  const byEnv = await cli(['doctor', '--models-dir', models], { TRANSFERKIT_BACKEND: 'cpu' });
  t.is(byEnv.code, 0, byEnv.stderr);
  t.regex(byEnv.stdout, /^Backend {3}cpu \(requested: cpu/m);
  t.regex(byEnv.stdout, /^ {2}wasm +available/m);
  t.regex(byEnv.stdout, /official Keras VGG16 without top \(notop\), SIZE DIFFERS/);
  t.regex(byEnv.stdout, new RegExp(`^ {2}int8 on this CPU: ${await int8WeightBits()}-bit weights`, 'm'));
});

test('doctor with an unknown --backend fails with one line and exit 2 (usage error)', async (t) => {
  const run = await cli(['--backend', 'tpu', 'doctor']);
  t.is(run.code, 2);
  t.is(run.stderr.trim().split('\n').length, 1);
  t.regex(run.stderr, /unknown backend "tpu" \(from --backend\); expected one of: auto, tensorflow-gpu, tensorflow, wasm, cpu/);
});

/**
 * `setup tensorflow` without building anything: where it keeps its venv, what it says when a
 * prerequisite is missing, and what doctor reports about an addon it built.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipCudaLibraries, PIP_CUDA_LIBRARIES } from '../src/backend/cuda-libraries.ts';
import { setupTensorflow, type SetupEvent } from '../src/backend/tensorflow/setup.ts';
import { variantDir } from '../src/backend/tensorflow/variants.ts';
import { formatDiagnosis } from '../src/cli/doctor.ts';
import type { Diagnosis } from '../src/cli/diagnose.ts';
import { UserError } from '../src/errors.ts';
import { tempDir } from './helpers/temp-dir.ts';

test('the venv lives under TRANSFERKIT_HOME, else XDG_CACHE_HOME/transferkit, else ~/.cache/transferkit', (t) => {
  t.is(variantDir('cpu', { TRANSFERKIT_HOME: '/data/tk', XDG_CACHE_HOME: '/xdg' }), join('/data/tk', 'tensorflow', 'cpu'));
  t.is(variantDir('gpu', { XDG_CACHE_HOME: '/xdg' }), join('/xdg', 'transferkit', 'tensorflow', 'gpu'));
  t.is(variantDir('cpu', {}), join(homedir(), '.cache', 'transferkit', 'tensorflow', 'cpu'));
});

test('a missing Python is one line saying how to get it, before anything is created', async (t) => {
  const dir = await tempDir('tk-setup-');
  const events: SetupEvent[] = [];
  try {
    const err = await t.throwsAsync(setupTensorflow({ python: '/nonexistent/python3', dir, onEvent: (e) => events.push(e) }), { instanceOf: UserError });
    const lines = err!.message.split('\n');
    t.is(lines[0], 'setup tensorflow needs:');
    t.is(lines.filter((l) => l.includes('/nonexistent/python3 not found: install Python')).length, 1, err!.message);
    t.false(existsSync(join(dir, 'venv')));
    t.deepEqual(events.map((e) => e.type === 'step' && `${e.step}:${e.status}`), ['prerequisites:running']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the CUDA libraries of a pip-built GPU addon are looked up in the wheel's nvidia-* packages", async (t) => {
  const site = await tempDir('tk-site-');
  try {
    await mkdir(join(site, 'tensorflow'));
    await mkdir(join(site, 'nvidia', 'cudnn', 'lib'), { recursive: true });
    await writeFile(join(site, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9'), '');
    const found = pipCudaLibraries(join(site, 'tensorflow'), { LD_LIBRARY_PATH: '' });
    t.deepEqual(found.found, { 'libcudnn.so.9': join(site, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9') });
    t.deepEqual(found.missing, PIP_CUDA_LIBRARIES.filter((l) => l !== 'libcudnn.so.9'));
  } finally {
    await rm(site, { recursive: true, force: true });
  }
});

test('doctor says a backend was built from a pip wheel, and which CUDA libraries the GPU one found', (t) => {
  const record = { pipPackage: 'tensorflow', tensorflowVersion: '2.20.0', libraryDir: '/venv/site-packages/tensorflow', venv: '/venv', tfjsNodeVersion: '4.22.0', nodeModules: '115', napi: '8', addonBytes: 1 };
  const diagnosis: Diagnosis = {
    node: { version: 'v20.0.0', platform: 'linux', arch: 'x64' },
    backend: {
      active: 'tensorflow-gpu',
      requested: 'auto',
      wasm: null,
      candidates: [
        {
          name: 'tensorflow-gpu', packageName: '@tensorflow/tfjs-node-gpu', version: '4.22.0', status: 'active',
          origin: { kind: 'pip', record: { ...record, variant: 'gpu' }, cuda: { found: { 'libcudnn.so.9': '/venv/site-packages/nvidia/cudnn/lib/libcudnn.so.9' }, missing: ['libcufft.so.11'], driver: false } },
        },
        { name: 'tensorflow', packageName: '@tensorflow/tfjs-node', version: '4.22.0', status: 'not-tried', reason: 'x', origin: { kind: 'official' } },
      ],
    },
    engines: [],
    int8: { weightBits: 7 },
    packages: {},
    weights: { dir: '/models', files: [], keras: { dir: '/keras', files: [] } },
  };
  const text = formatDiagnosis(diagnosis);
  t.regex(text, /int8 on this CPU: 7-bit weights \(no VNNI/);
  t.regex(text, /tensorflow-gpu +active +@tensorflow\/tfjs-node-gpu 4\.22\.0\n +built from pip tensorflow 2\.20\.0 at \/venv\/site-packages\/tensorflow\n/);
  t.regex(text, /found libcudnn\.so\.9 \/venv\/site-packages\/nvidia\/cudnn\/lib\/libcudnn\.so\.9/);
  t.regex(text, /MISSING libcufft\.so\.11/);
  t.regex(text, /no NVIDIA driver \(libcuda\.so\.1\): TensorFlow runs on the CPU/);
  t.regex(text, /from tfjs-node's official libtensorflow download/);
});

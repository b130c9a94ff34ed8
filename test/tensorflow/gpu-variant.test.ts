/**
 * The GPU variant (`setup tensorflow --gpu`: tfjs-node-gpu built against tensorflow[and-cuda]) loads
 * with no environment variables and computes, on the CPU when the machine has no GPU. Its wheels are
 * ~3 GB, so CI does not set it up; the test runs wherever it is set up. It runs in a child process:
 * tfjs-node and tfjs-node-gpu both register the backend "tensorflow", one per process.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Diagnosis } from '../../src/cli/diagnose.ts';
import { packageJsonPath } from '../../src/backend/installed-packages.ts';
import { PIP_CUDA_LIBRARIES } from '../../src/backend/cuda-libraries.ts';
import { addonPath, readBuildRecord } from '../../src/backend/tensorflow/build-record.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const manifest = packageJsonPath('@tensorflow/tfjs-node-gpu');
const built = manifest !== null && existsSync(addonPath(manifest)) && readBuildRecord(addonPath(manifest))?.variant === 'gpu';

/** In the child: a conv2d filter gradient on tensorflow-gpu and on cpu. */
const GRADIENT = `
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './src/backend/index.ts';
const grad = () => {
  const x = tf.randomUniform([2, 9, 9, 3], -1, 1, 'float32', 1);
  const k = tf.randomUniform([3, 3, 3, 4], -1, 1, 'float32', 2);
  return Array.from(tf.grad((w) => tf.conv2d(x, w, 1, 'same').square().sum())(k).dataSync());
};
const { name } = await initBackend('tensorflow-gpu');
const native = grad();
await tf.setBackend('cpu');
console.log(JSON.stringify({ name, native, cpu: grad() }));
`;

(built ? test : test.skip)('tensorflow-gpu built from the pip wheel loads with no environment variables and computes (on the CPU without a GPU)', async (t) => {
  const env = { ...process.env };
  delete env.LD_LIBRARY_PATH;
  delete env.TRANSFERKIT_BACKEND;
  const run = promisify(execFile);
  const doctor = await run(process.execPath, ['bin/transferkit.js', 'doctor', '--json'], { cwd: root, env });
  const d = JSON.parse(doctor.stdout) as Diagnosis;
  t.is(d.backend.active, 'tensorflow-gpu');
  const gpu = d.backend.candidates[0]!;
  t.like(gpu.origin, { kind: 'pip', record: { variant: 'gpu', pipPackage: 'tensorflow' } });
  t.deepEqual(gpu.origin?.kind === 'pip' ? Object.keys(gpu.origin.cuda?.found ?? {}) : [], [...PIP_CUDA_LIBRARIES]);

  const child = await run(process.execPath, ['--import=tsx', '--input-type=module', '-e', GRADIENT], { cwd: root, env });
  const { name, native, cpu } = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { name: string; native: number[]; cpu: number[] };
  t.is(name, 'tensorflow-gpu');
  const scale = Math.max(...cpu.map(Math.abs));
  t.true(native.every((v, i) => Math.abs(v - cpu[i]!) <= 1e-4 * scale), 'conv2d filter gradient matches the cpu backend');
});

/**
 * The backend fallback chain and its overrides. tfjs-node(-gpu) are optional dependencies whose
 * install script cannot download libtensorflow here, so npm drops them and auto falls through to
 * wasm and must say why (until `transferkit setup tensorflow` builds them).
 */
import test from 'ava';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { backendReport, initBackend } from '../src/backend/index.ts';
import { initBackendFromCli } from '../src/cli/backend.ts';
import { CUDA_LIBRARIES, missingCudaLibraries } from '../src/backend/cuda-libraries.ts';
import { installedVersion } from '../src/backend/installed-packages.ts';
import { UserError } from '../src/errors.ts';
import { tempDir } from './helpers/temp-dir.ts';

const nativeAbsent = installedVersion('@tensorflow/tfjs-node') === null && installedVersion('@tensorflow/tfjs-node-gpu') === null;

/** Runs `body` with TRANSFERKIT_BACKEND set to `value`, restoring it afterwards. */
async function withEnv<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  const saved = process.env.TRANSFERKIT_BACKEND;
  if (value === undefined) delete process.env.TRANSFERKIT_BACKEND;
  else process.env.TRANSFERKIT_BACKEND = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.TRANSFERKIT_BACKEND;
    else process.env.TRANSFERKIT_BACKEND = saved;
  }
}

(nativeAbsent ? test.serial : test.serial.skip)('auto falls back past the absent tfjs-node packages to wasm and reports why', async (t) => {
  const info = await withEnv(undefined, () => initBackend());
  t.is(info.name, 'wasm');
  t.is(tf.getBackend(), 'wasm');
  const report = await backendReport();
  t.is(report.active, 'wasm');
  const [gpu, node, wasm, cpu] = report.candidates;
  t.is(gpu?.status, 'unavailable');
  t.regex(gpu?.reason ?? '', /not installed \(npx transferkit setup tensorflow --gpu\)/);
  t.is(node?.status, 'unavailable');
  t.regex(node?.reason ?? '', /not installed \(npx transferkit setup tensorflow\)/);
  t.is(wasm?.status, 'active');
  t.is(wasm?.version, installedVersion('@tensorflow/tfjs-backend-wasm'));
  t.is(cpu?.status, 'not-tried');
  t.is((await backendReport({ probeAll: true })).candidates[3]?.status, 'available');
});

test.serial('initBackend is idempotent, also when called concurrently', async (t) => {
  const [a, b] = await withEnv(undefined, () => Promise.all([initBackend(), initBackend()]));
  t.is(a, b);
  t.is(await withEnv(undefined, () => initBackend()), a);
});

test.serial('TRANSFERKIT_BACKEND=cpu selects cpu; an argument overrides it', async (t) => {
  t.is((await withEnv('cpu', () => initBackend())).name, 'cpu');
  t.is(tf.getBackend(), 'cpu');
  t.is((await withEnv('cpu', () => initBackend('wasm'))).name, 'wasm');
  t.is(tf.getBackend(), 'wasm');
});

test.serial('an unknown TRANSFERKIT_BACKEND is a UserError naming the variable and the valid names', async (t) => {
  const err = await withEnv('gpu', () => t.throwsAsync(initBackend(), { instanceOf: UserError }));
  t.regex(err?.message ?? '', /unknown backend "gpu" \(from TRANSFERKIT_BACKEND\); expected one of: auto, tensorflow-gpu, tensorflow, wasm, cpu/);
});

(nativeAbsent ? test.serial : test.serial.skip)('an explicitly requested backend that cannot load is a UserError saying why and what to install', async (t) => {
  const err = await t.throwsAsync(initBackend('tensorflow'), { instanceOf: UserError });
  t.regex(err?.message ?? '', /backend "tensorflow" is not available: not installed \(npx transferkit setup tensorflow\)/);
  t.is(tf.getBackend(), 'wasm', 'a failed request leaves the active backend alone');
});

test.serial('initBackendFromCli honours the global --backend option', async (t) => {
  const parse = async (args: string[]): Promise<Command> => {
    let seen: Command | undefined;
    const program = new Command('transferkit').option('--backend <name>').exitOverride();
    program.command('run').action((_opts, cmd: Command) => {
      seen = cmd;
    });
    await program.parseAsync(args, { from: 'user' });
    return seen!;
  };
  t.is((await withEnv('wasm', async () => initBackendFromCli(await parse(['--backend', 'cpu', 'run'])))).name, 'cpu');
  const fromCli = await withEnv(undefined, async () => initBackendFromCli(await parse(['run'])));
  t.is(fromCli.requested, 'auto');
  t.is(fromCli.name as string | undefined, (await backendReport()).candidates.find((c) => c.status !== 'unavailable')?.name);
  const err = await t.throwsAsync(async () => initBackendFromCli(await parse(['--backend', 'tpu', 'run'])), { instanceOf: UserError });
  t.regex(err?.message ?? '', /unknown backend "tpu" \(from --backend\)/);
});

test('CUDA libraries found on LD_LIBRARY_PATH are not reported missing', async (t) => {
  if (process.platform !== 'linux') return t.is(missingCudaLibraries(), null);
  const dir = await tempDir('transferkit-cuda-');
  try {
    const present: string[] = CUDA_LIBRARIES.filter((_, i) => i % 2 === 0);
    for (const lib of present) await writeFile(join(dir, lib), '');
    const missing = missingCudaLibraries({ LD_LIBRARY_PATH: dir }) ?? [];
    for (const lib of present) t.false(missing.includes(lib), lib);
    t.deepEqual(missing, (missingCudaLibraries({}) ?? []).filter((lib) => !present.includes(lib)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

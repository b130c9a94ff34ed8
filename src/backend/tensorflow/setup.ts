/**
 * `setup tensorflow`: gives tfjs-node(-gpu) a native addon built from a pip TensorFlow wheel, so the
 * `tensorflow` / `tensorflow-gpu` backend loads with no environment variables. Steps: check the
 * prerequisites, make (or reuse) a private venv, pip-install the pinned wheel, put the tfjs-node
 * package into node_modules, compile its binding, install the addon where tfjs-node loads it, and
 * load it in a child process. Every step reports through `onEvent`; when everything is already in
 * place each step says so and nothing is rebuilt. A failure leaves no addon behind, so the backend
 * chain still falls back to wasm.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors.ts';
import { atomicWrite } from '../../util/atomic.ts';
import { installedVersion, packageJsonPath } from '../installed-packages.ts';
import { buildAddon } from './addon-build.ts';
import { addonPath, readBuildRecord, recordPath, writeBuildRecord, type BuildRecord } from './build-record.ts';
import { ensureTfjsNodePackage, projectRoot } from './npm-package.ts';
import { missingPrerequisites } from './prerequisites.ts';
import { ensureVenv, installedDistribution, installTensorflow, tensorflowDir, venvPython } from './python-env.ts';
import { DEFAULT_TENSORFLOW_VERSION, VARIANTS, variantDir, type TensorflowVariant } from './variants.ts';

export type SetupStep = 'prerequisites' | 'venv' | 'tensorflow' | 'package' | 'build' | 'install' | 'verify';

/** Progress: a step starting, finishing, or found already done; and the tools' output lines. */
export type SetupEvent =
  | { type: 'step'; step: SetupStep; status: 'running' | 'done' | 'unchanged'; detail: string }
  | { type: 'output'; step: SetupStep; line: string };

export interface SetupTensorflowOptions {
  /** Build `tensorflow-gpu` from `tensorflow[and-cuda]` instead of `tensorflow` from `tensorflow-cpu`. Default false. */
  gpu?: boolean;
  /** The Python that creates the venv. Default `python3`. */
  python?: string;
  /** TensorFlow version to pip-install. Default {@link DEFAULT_TENSORFLOW_VERSION}. */
  tensorflow?: string;
  /** The venv + build folder. Default `<user cache>/tensorflow/<cpu|gpu>`. */
  dir?: string;
  onEvent?: (event: SetupEvent) => void;
}

export interface SetupTensorflowResult {
  backend: 'tensorflow' | 'tensorflow-gpu';
  addon: string;
  record: BuildRecord;
  /** False when everything was already in place. */
  changed: boolean;
}

/** The fd the verification child reports on: a pipe of its own, apart from what TensorFlow prints. */
const RESULT_FD = 3;

/** What the verification child reports (on RESULT_FD): the backend tfjs chose and a small matMul computed on it. */
const VERIFY_SCRIPT = `
const { writeSync } = await import('node:fs');
const tf = await import(process.argv[1]);
await tf.setBackend('tensorflow');
const x = tf.tensor2d([[1, 2], [3, 4]]);
writeSync(${RESULT_FD}, JSON.stringify({ backend: tf.getBackend(), product: Array.from(tf.matMul(x, x).dataSync()) }));
`;

/** Loads the package in a fresh Node (this process may already have a backend) and checks it computes. */
async function verifyAddon(packageName: string): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', VERIFY_SCRIPT, packageName], {
    cwd: projectRoot(),
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let reported = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stdio[RESULT_FD]!.on('data', (chunk: Buffer) => (reported += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    const result = JSON.parse(reported) as { backend: string; product: number[] };
    if (code === 0 && result.backend === 'tensorflow' && result.product.join(',') === '7,10,15,22') return;
  } catch {
    // Falls through to the error with the child's output.
  }
  throw new UserError(`the built addon does not work: loading ${packageName} printed:\n${out.trim()}`);
}

function napiVersionOf(addon: string): string {
  const match = /napi-v(\d+)/.exec(addon);
  if (match === null) throw new Error(`unexpected tfjs-node addon path ${addon} (no napi-vN folder)`);
  return match[1]!;
}

function sameBuild(a: BuildRecord | null, b: Omit<BuildRecord, 'addonBytes'>, addon: string): boolean {
  if (a === null || !existsSync(addon) || statSync(addon).size !== a.addonBytes) return false;
  return (Object.keys(b) as (keyof typeof b)[]).every((key) => a[key] === b[key]);
}

/** Sets up the TensorFlow backend (see the module comment). Throws a UserError naming what is missing or failed. */
export async function setupTensorflow(options: SetupTensorflowOptions = {}): Promise<SetupTensorflowResult> {
  const variant: TensorflowVariant = options.gpu ? 'gpu' : 'cpu';
  const spec = VARIANTS[variant];
  const { python = 'python3', tensorflow: version = DEFAULT_TENSORFLOW_VERSION, dir = variantDir(variant) } = options;
  const emit = options.onEvent ?? (() => {});
  const venv = join(dir, 'venv');
  const step = (s: SetupStep, status: 'running' | 'done' | 'unchanged', detail: string): void => emit({ type: 'step', step: s, status, detail });
  const output = (s: SetupStep) => (line: string) => emit({ type: 'output', step: s, line });

  step('prerequisites', 'running', 'python3 with venv and pip, make, a C++ compiler');
  const missing = missingPrerequisites(existsSync(venvPython(venv)) ? venvPython(venv) : python);
  if (missing.length > 0) throw new UserError(`setup tensorflow needs:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  step('prerequisites', 'done', 'all found');

  step('venv', 'running', venv);
  const createdVenv = await ensureVenv(venv, python, output('venv'));
  step('venv', createdVenv ? 'done' : 'unchanged', venv);

  const requirement = `${spec.pipPackage}${spec.pipExtras}==${version}`;
  step('tensorflow', 'running', requirement);
  const pipInstalled = (await installedDistribution(venv, spec.pipPackage)) !== version
    || (spec.extrasMarker !== null && (await installedDistribution(venv, spec.extrasMarker)) === null);
  if (!pipInstalled) {
    step('tensorflow', 'unchanged', `${spec.pipPackage} ${version} already installed`);
  } else {
    await installTensorflow(venv, spec, version, output('tensorflow'));
    step('tensorflow', 'done', `${spec.pipPackage} ${version} installed`);
  }
  const libraryDir = await tensorflowDir(venv);

  step('package', 'running', `${spec.npmPackage}@${tf.version_core}`);
  const installedPackage = await ensureTfjsNodePackage(spec.npmPackage, output('package'));
  step('package', installedPackage ? 'done' : 'unchanged', `${spec.npmPackage} ${installedVersion(spec.npmPackage)} in ${projectRoot()}`);
  const packageJson = packageJsonPath(spec.npmPackage);
  if (packageJson === null) throw new UserError(`npm reported ${spec.npmPackage} installed, but Node cannot find it from ${projectRoot()}`);

  const addon = addonPath(packageJson);
  const wanted = {
    variant,
    pipPackage: spec.pipPackage,
    tensorflowVersion: version,
    libraryDir,
    venv,
    tfjsNodeVersion: tf.version_core,
    nodeModules: process.versions.modules,
    napi: napiVersionOf(addon),
  };
  const previous = readBuildRecord(addon);
  let record: BuildRecord;
  const rebuild = installedPackage || !sameBuild(previous, wanted, addon);
  if (!rebuild && previous !== null) {
    step('build', 'unchanged', `addon already built against ${libraryDir}`);
    step('install', 'unchanged', addon);
    record = previous;
  } else {
    step('build', 'running', `node-gyp against ${libraryDir}`);
    // A build folder of its own: two checkouts may run setup at once against the same venv.
    const buildDir = await mkdtemp(join(dir, 'build-'));
    try {
      const built = await buildAddon({ packageDir: dirname(packageJson), tensorflowDir: libraryDir, buildDir, napiVersion: wanted.napi, onLine: output('build') });
      step('build', 'done', `tfjs_binding.node, RUNPATH ${libraryDir}`);
      step('install', 'running', addon);
      await atomicWrite(addon, (temp) => copyFile(built, temp));
    } finally {
      await rm(buildDir, { recursive: true, force: true });
    }
    record = { ...wanted, addonBytes: statSync(addon).size };
    await writeBuildRecord(addon, record);
    step('install', 'done', addon);
  }

  step('verify', 'running', `loading ${spec.npmPackage} in a new process`);
  try {
    await verifyAddon(spec.npmPackage);
  } catch (err) {
    // A broken addon must not stay where tfjs-node finds it: the chain would stop at it instead of falling back.
    await rm(addon, { force: true });
    await rm(recordPath(addon), { force: true });
    throw err;
  }
  step('verify', 'done', `backend "${spec.backend}" works`);
  return { backend: spec.backend, addon, record, changed: createdVenv || pipInstalled || rebuild };
}

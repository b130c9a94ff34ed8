/**
 * The tfjs backends transferkit can run on, fastest first, and how to load each one. Loading is
 * where availability is decided, so each loader returns why a backend cannot be used instead of
 * throwing: `doctor` and the fallback chain both need the reason.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { missingCudaLibraries, pipCudaLibraries, type PipCudaLibraries } from './cuda-libraries.ts';
import { firstLine, installedVersion, packageJsonPath } from './installed-packages.ts';
import { addonPath, readBuildRecord, type BuildRecord } from './tensorflow/build-record.ts';
import { registerWasmGradientKernels } from './wasm-kernels.ts';

/** transferkit's names for the backends (tfjs-node and tfjs-node-gpu both register tf backend `tensorflow`). */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Static facts about one backend. */
export interface BackendCandidate {
  name: BackendName;
  /** The name tfjs registers it under. */
  tfName: string;
  /** The npm package providing it; null for `cpu`, which ships inside @tensorflow/tfjs. */
  packageName: string | null;
}

/** In fallback order: native GPU, native CPU, WebAssembly (SIMD), plain JavaScript. */
export const CANDIDATES: readonly BackendCandidate[] = [
  { name: 'tensorflow-gpu', tfName: 'tensorflow', packageName: '@tensorflow/tfjs-node-gpu' },
  { name: 'tensorflow', tfName: 'tensorflow', packageName: '@tensorflow/tfjs-node' },
  { name: 'wasm', tfName: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm' },
  { name: 'cpu', tfName: 'cpu', packageName: null },
];

/**
 * Where a native backend's addon came from: built by `setup tensorflow` from a pip wheel (with the
 * CUDA libraries found for the GPU variant), or tfjs-node's own libtensorflow download.
 */
export type NativeOrigin =
  | { kind: 'pip'; record: BuildRecord; cuda?: PipCudaLibraries }
  | { kind: 'official' };

/** The outcome of trying to load a backend's package and register it with tfjs. */
export type LoadResult =
  | { ok: true; version: string | null; origin?: NativeOrigin }
  | { ok: false; version: string | null; reason: string; origin?: NativeOrigin };

/** The install command matching the tfjs version in use (a native package of another version will not register). */
function installHint(packageName: string): string {
  return `npm install ${packageName}@${tf.version_core}`;
}

function setupHint(candidate: BackendCandidate): string {
  return `npx transferkit setup tensorflow${candidate.name === 'tensorflow-gpu' ? ' --gpu' : ''}`;
}

/** Node's error for a missing package; a missing *dependency* of an installed package is a different failure. */
function isNotFound(err: unknown, packageName: string): boolean {
  const code = (err as { code?: string }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && firstLine(err).includes(`'${packageName}'`);
}

function originOf(addon: string): NativeOrigin {
  const record = readBuildRecord(addon);
  if (record === null) return { kind: 'official' };
  return record.variant === 'gpu' ? { kind: 'pip', record, cuda: pipCudaLibraries(record.libraryDir) } : { kind: 'pip', record };
}

/** Why the official (libtensorflow 2.9) GPU addon cannot load here, or null. */
function officialCudaProblem(): string | null {
  const missing = missingCudaLibraries();
  if (missing === null || missing.length === 0) return null;
  return `CUDA 11 / cuDNN 8 libraries missing: ${missing.join(', ')} (tfjs-node-gpu ${tf.version_core}'s own libtensorflow needs CUDA 11.2 and cuDNN 8.1; \`transferkit setup tensorflow --gpu\` builds one on CUDA 12 from pip instead)`;
}

async function loadNative(candidate: BackendCandidate, packageName: string): Promise<LoadResult> {
  const version = installedVersion(packageName);
  const manifest = packageJsonPath(packageName);
  if (manifest === null) return { ok: false, version, reason: `not installed (${setupHint(candidate)})` };
  let addon: string;
  try {
    addon = addonPath(manifest);
  } catch (err) {
    return { ok: false, version, reason: `installed but incomplete: ${firstLine(err)} (run \`${setupHint(candidate)}\`)` };
  }
  // Importing a tfjs-node without its addon registers its kernels before failing; checking first avoids that.
  if (!existsSync(addon)) {
    return { ok: false, version, reason: `installed without its native addon (its libtensorflow download failed or was skipped): run \`${setupHint(candidate)}\`` };
  }
  const origin = originOf(addon);
  if (candidate.name === 'tensorflow-gpu' && origin.kind === 'official') {
    const problem = officialCudaProblem();
    if (problem !== null) return { ok: false, version, reason: problem, origin };
  }
  // tfjs-node and tfjs-node-gpu both register the backend "tensorflow"; only one can load per process.
  if (tf.findBackendFactory(candidate.tfName) !== null) {
    return { ok: false, version, reason: `not loaded: the other tfjs-node package already provides the "${candidate.tfName}" backend in this process`, origin };
  }
  // TensorFlow logs to stderr from C++ (start-up notices; the GPU build's "failed call to cuInit" on
  // every start without a GPU); the library does not print. Op failures still reach us as exceptions,
  // and TF_CPP_MIN_LOG_LEVEL=0 set by the user brings the log back.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '3';
  try {
    await import(packageName);
  } catch (err) {
    if (isNotFound(err, packageName)) return { ok: false, version, reason: `not installed (${setupHint(candidate)})` };
    return { ok: false, version, origin, reason: `installed but its native addon failed to load: ${firstLine(err)} (run \`${setupHint(candidate)}\`)` };
  }
  if (tf.findBackendFactory(candidate.tfName) === null) {
    return { ok: false, version, origin, reason: `loaded but did not register with @tensorflow/tfjs ${tf.version_core} (versions must match: ${installHint(packageName)})` };
  }
  return { ok: true, version, origin };
}

async function loadWasm(packageName: string): Promise<LoadResult> {
  const version = installedVersion(packageName);
  try {
    await import(packageName);
  } catch (err) {
    return { ok: false, version, reason: isNotFound(err, packageName) ? `not installed (${installHint(packageName)})` : `failed to load: ${firstLine(err)}` };
  }
  return { ok: true, version };
}

/** Loads a candidate's package so tfjs knows the backend; does not make it active. */
export async function loadCandidate(candidate: BackendCandidate): Promise<LoadResult> {
  if (candidate.packageName === null) return { ok: true, version: tf.version_core };
  if (candidate.name === 'wasm') return loadWasm(candidate.packageName);
  return loadNative(candidate, candidate.packageName);
}

/** Makes a loaded candidate the active tfjs backend; returns why not when its initialisation fails. */
export async function activateCandidate(candidate: BackendCandidate): Promise<string | null> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(candidate.tfName);
  } catch (err) {
    return `failed to initialise: ${firstLine(err)}`;
  }
  if (!ok) return 'failed to initialise (tfjs logged the cause above)';
  if (candidate.name === 'wasm') registerWasmGradientKernels();
  return null;
}

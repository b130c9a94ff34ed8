/**
 * The tfjs backends transferkit can run on, fastest first, and how to load each one. Loading is
 * where availability is decided, so each loader returns why a backend cannot be used instead of
 * throwing: `doctor` and the fallback chain both need the reason.
 */
import * as tf from '@tensorflow/tfjs';
import { missingCudaLibraries } from './cuda-libraries.ts';
import { firstLine, installedVersion } from './installed-packages.ts';
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

/** The outcome of trying to load a backend's package and register it with tfjs. */
export type LoadResult = { ok: true; version: string | null } | { ok: false; version: string | null; reason: string };

/** The install command matching the tfjs version in use (a native package of another version will not register). */
function installHint(packageName: string): string {
  return `npm install ${packageName}@${tf.version_core}`;
}

/** Node's error for a missing package; a missing *dependency* of an installed package is a different failure. */
function isNotFound(err: unknown, packageName: string): boolean {
  const code = (err as { code?: string }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && firstLine(err).includes(`'${packageName}'`);
}

async function loadNative(candidate: BackendCandidate, packageName: string): Promise<LoadResult> {
  const version = installedVersion(packageName);
  const missing = candidate.name === 'tensorflow-gpu' ? missingCudaLibraries() : null;
  const cudaNote = missing && missing.length > 0
    ? `CUDA 11 / cuDNN 8 libraries missing: ${missing.join(', ')} (tfjs-node-gpu ${tf.version_core} needs CUDA 11.2 and cuDNN 8.1)`
    : null;
  if (version === null) {
    return { ok: false, version, reason: [`not installed (${installHint(packageName)})`, cudaNote].filter(Boolean).join('; ') };
  }
  // Loading the addon without these libraries fails inside dlopen with a message naming only the first.
  if (cudaNote !== null) return { ok: false, version, reason: cudaNote };
  try {
    await import(packageName);
  } catch (err) {
    if (isNotFound(err, packageName)) return { ok: false, version, reason: `not installed (${installHint(packageName)})` };
    return {
      ok: false,
      version,
      reason: `installed but its native addon failed to load: ${firstLine(err)} (run \`npm rebuild ${packageName}\`; npm 11 skips install scripts)`,
    };
  }
  if (tf.findBackendFactory(candidate.tfName) === null) {
    return { ok: false, version, reason: `loaded but did not register with @tensorflow/tfjs ${tf.version_core} (versions must match: ${installHint(packageName)})` };
  }
  return { ok: true, version };
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

/**
 * `doctor`: what this installation can run on — the tfjs backend chain (and why each backend is or
 * is not available), the inference engines, the versions of the native/wasm pieces, and the VGG16
 * weights found (transferkit's models folder, and official files Keras downloaded). Plain data; the
 * CLI formats it.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describeError } from '../errors.ts';
import { readRandomInitMarker } from '../keras/index.ts';
import { int8WeightBits } from '../models/engines/calibrate.ts';
import { availableEngines } from '../models/engines/index.ts';
import type { EngineAvailability } from '../models/engines/types.ts';
import { OFFICIAL_FILES } from '../models/fetch.ts';
import { md5File } from '../util/download.ts';
import { kerasModelsDir, modelsDir as defaultModelsDir } from '../util/user-dirs.ts';
import { backendReport, initBackend, type BackendPreference, type BackendReport } from '../backend/index.ts';
import { installedVersion } from '../backend/installed-packages.ts';

/** Options for {@link diagnose}. */
export interface DiagnoseOptions {
  /** Backend to initialise, as `--backend`. Default: TRANSFERKIT_BACKEND, else `auto`. */
  backend?: BackendPreference;
  /** Folder searched for weight files. Default {@link defaultModelsDir} (`~/.cache/transferkit/models`). */
  modelsDir?: string;
  /** Also compute each weight file's md5 (reads every byte: ~1 s per 500 MB). Default false. */
  md5?: boolean;
}

/** A weights file found in the models folder. */
export interface WeightsFileStatus {
  name: string;
  bytes: number;
  /** Which official Keras VGG16 file this is by name (`top` / `notop`); null for any other file. */
  official: 'top' | 'notop' | null;
  /** For official files: whether the size matches (a mismatch means a partial or wrong download). */
  sizeMatches?: boolean;
  /** The random-init marker when `transferkit init-weights` wrote the file (then size and md5 cannot match). */
  randomInit?: string;
  /** With `md5`: the file's md5, and for official files whether it matches Keras's. */
  md5?: string;
  md5Matches?: boolean;
}

export interface Diagnosis {
  node: { version: string; platform: string; arch: string };
  backend: BackendReport & {
    /** Why the requested backend could not be initialised (the others are still reported). */
    error?: string;
    /** WebAssembly features the wasm backend detected (null when wasm is not loaded). */
    wasm: { simd: boolean; threads: boolean } | null;
  };
  engines: EngineAvailability[];
  /** Weight bits of int8 features on this CPU: 7 on x86 without VNNI (see int8WeightBits). */
  int8: { weightBits: 7 | 8 };
  /** Installed versions (null: not installed); `libvips` is the one bundled with sharp. */
  packages: Record<string, string | null>;
  weights: {
    dir: string;
    files: WeightsFileStatus[];
    /** Official files in Keras's own folder (`~/.keras/models`), which transferkit uses too. */
    keras: { dir: string; files: WeightsFileStatus[] };
  };
}

const REPORTED_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'sharp', 'h5wasm', 'onnxruntime-node'] as const;
const WEIGHT_EXTENSIONS = ['.h5', '.hdf5', '.keras'];

async function wasmFeatures(): Promise<Diagnosis['backend']['wasm']> {
  if (tf.findBackendFactory('wasm') === null) return null;
  return {
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
  };
}

async function libvipsVersion(): Promise<string | null> {
  try {
    return (await import('sharp')).default.versions.vips;
  } catch {
    return null;
  }
}

async function weightFiles(dir: string, withMd5: boolean): Promise<WeightsFileStatus[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: WeightsFileStatus[] = [];
  for (const name of names.filter((n) => WEIGHT_EXTENSIONS.some((e) => n.toLowerCase().endsWith(e))).sort()) {
    const info = await stat(join(dir, name));
    if (!info.isFile()) continue;
    const official = name === OFFICIAL_FILES.top.name ? 'top' : name === OFFICIAL_FILES.notop.name ? 'notop' : null;
    const file: WeightsFileStatus = { name, bytes: info.size, official };
    if (official !== null) file.sizeMatches = info.size === OFFICIAL_FILES[official].size;
    const randomInit = await readRandomInitMarker(join(dir, name)).catch(() => undefined);
    if (randomInit !== undefined) file.randomInit = randomInit;
    if (withMd5) {
      file.md5 = await md5File(join(dir, name));
      if (official !== null) file.md5Matches = file.md5 === OFFICIAL_FILES[official].md5;
    }
    files.push(file);
  }
  return files;
}

/** Gathers everything `doctor` shows. Never throws for an unavailable backend: that is a finding. */
export async function diagnose(options: DiagnoseOptions = {}): Promise<Diagnosis> {
  const { backend, modelsDir = defaultModelsDir(), md5 = false } = options;
  let error: string | undefined;
  try {
    await initBackend(backend);
  } catch (err) {
    error = describeError(err);
  }
  const packages: Record<string, string | null> = {};
  for (const name of REPORTED_PACKAGES) packages[name] = installedVersion(name);
  packages.libvips = await libvipsVersion();
  return {
    node: { version: process.version, platform: process.platform, arch: process.arch },
    backend: { ...(await backendReport({ probeAll: true })), ...(error === undefined ? {} : { error }), wasm: await wasmFeatures() },
    engines: await availableEngines(),
    int8: { weightBits: await int8WeightBits() },
    packages,
    weights: {
      dir: modelsDir,
      files: await weightFiles(modelsDir, md5),
      keras: { dir: kerasModelsDir(), files: (await weightFiles(kerasModelsDir(), md5)).filter((f) => f.official !== null) },
    },
  };
}

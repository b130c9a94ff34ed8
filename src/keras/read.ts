import { stat } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { readKerasArchive } from './read-archive.ts';
import { readHdf5, readHdf5RootString } from './read-hdf5.ts';
import { RANDOM_INIT_ATTR } from './h5-attrs.ts';
import { sniffFile } from './sniff.ts';
import type { KerasFile } from './types.ts';

const EXPECTED = 'expected a Keras .h5, .weights.h5 or .keras file';

async function kindOf(path: string) {
  try {
    return await sniffFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: no such file; ${EXPECTED}`);
    if (code === 'EISDIR') throw new UserError(`${path}: is a folder; ${EXPECTED}`);
    throw new UserError(`${path}: cannot read (${(err as Error).message})`);
  }
}

/**
 * Read any Keras weights/model file: legacy `save_weights` (Keras 1/2, tf.keras), legacy full-model
 * `.h5`, Keras 3 `.weights.h5`, or a `.keras` archive — detected from the bytes, not the extension.
 * Tensors come back exactly as stored (converted to float32); layout conversions that depend on the
 * target model (Theano kernels) happen in `loadWeights`. Every failure is a one-line UserError.
 */
export async function readKerasFile(path: string): Promise<KerasFile> {
  const { size, mtimeMs, ino } = await stat(path).catch(() => ({ size: -1, mtimeMs: -1, ino: -1 }));
  const key = `${path}\0${size}\0${mtimeMs}\0${ino}`;
  if (recent?.key !== key) {
    const file = readUncached(path);
    recent = { key, file };
    file.catch(() => (recent?.file === file ? (recent = undefined) : undefined));
  }
  clearTimeout(recentTimer);
  // One run builds several engines and a network from the same file; h5wasm takes ~0.5 s per read.
  recentTimer = setTimeout(() => (recent = undefined), KEEP_RECENT_MS).unref();
  return recent!.file;
}

/** The last file read, kept briefly (callers only read its tensors). */
let recent: { key: string; file: Promise<KerasFile> } | undefined;
let recentTimer: NodeJS.Timeout | undefined;
const KEEP_RECENT_MS = 30_000;

async function readUncached(path: string): Promise<KerasFile> {
  switch (await kindOf(path)) {
    case 'empty':
      throw new UserError(`${path}: the file is empty; ${EXPECTED}`);
    case 'other':
      throw new UserError(`${path}: neither HDF5 nor a zip archive (no signature found); ${EXPECTED}`);
    case 'zip':
      return readKerasArchive(path);
    case 'hdf5':
      return { path, ...(await readHdf5(path, path)) };
  }
}

/**
 * The random-init marker of a weights file (`KerasFile.randomInit`), without reading its weights
 * when it is HDF5; undefined for files not written by `transferkit init-weights`.
 */
export async function readRandomInitMarker(path: string): Promise<string | undefined> {
  if ((await kindOf(path)) === 'hdf5') return readHdf5RootString(path, RANDOM_INIT_ATTR);
  return (await readKerasFile(path)).randomInit;
}

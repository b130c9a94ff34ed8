import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, type Unzipped } from 'fflate';
import { UserError } from '../errors.ts';
import { readHdf5 } from './read-hdf5.ts';
import { nameLayersByConfig } from './read-keras3.ts';
import type { KerasFile } from './types.ts';

const WEIGHTS_ENTRY = 'model.weights.h5';

/** Entry names that would land outside an extraction folder (zip-slip), or are ambiguous on Windows. */
function escapesArchive(name: string): boolean {
  return (
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    name.includes('\\') ||
    name.split('/').some((part) => part === '..')
  );
}

function unzipArchive(bytes: Uint8Array, file: string): Unzipped {
  const unsafe: string[] = [];
  let entries: Unzipped;
  try {
    entries = unzipSync(bytes, {
      filter: (info) => {
        if (escapesArchive(info.name)) unsafe.push(info.name);
        return true;
      },
    });
  } catch (err) {
    if (unsafe.length > 0) throw unsafeError(file, unsafe);
    throw new UserError(`${file}: not a readable zip archive (${(err as Error).message}); expected a Keras .keras file`);
  }
  if (unsafe.length > 0) throw unsafeError(file, unsafe);
  return entries;
}

function unsafeError(file: string, names: string[]): UserError {
  return new UserError(
    `${file}: refusing a .keras archive with entries outside the archive (${names.map((n) => JSON.stringify(n)).join(', ')})`,
  );
}

function parseJsonEntry(entries: Unzipped, name: string, file: string): unknown {
  const bytes = entries[name];
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new UserError(`${file}: '${name}' in the archive is not valid JSON`);
  }
}

/**
 * Read a Keras 3 `.keras` archive: `config.json` (architecture), `metadata.json` (keras_version),
 * `model.weights.h5` (weights). h5wasm reads from a path, so the weights go to a private temp
 * folder that is removed afterwards, whatever happens.
 */
export async function readKerasArchive(path: string): Promise<KerasFile> {
  const entries = unzipArchive(await readFile(path), path);
  const weights = entries[WEIGHTS_ENTRY];
  if (!weights) {
    throw new UserError(`${path}: a zip archive without '${WEIGHTS_ENTRY}'; expected a Keras 3 .keras file`);
  }
  const modelConfig = parseJsonEntry(entries, 'config.json', path);
  const metadata = parseJsonEntry(entries, 'metadata.json', path) as { keras_version?: unknown } | undefined;
  const dir = await mkdtemp(join(tmpdir(), 'transferkit-keras-'));
  try {
    const local = join(dir, WEIGHTS_ENTRY);
    await writeFile(local, weights);
    const inner = await readHdf5(local, `${path}!${WEIGHTS_ENTRY}`);
    const out: KerasFile = {
      path,
      format: 'keras-archive',
      layers: nameLayersByConfig(inner.layers, modelConfig),
    };
    if (typeof metadata?.keras_version === 'string') out.kerasVersion = metadata.keras_version;
    if (modelConfig !== undefined) out.modelConfig = modelConfig;
    if (inner.randomInit !== undefined) out.randomInit = inner.randomInit;
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

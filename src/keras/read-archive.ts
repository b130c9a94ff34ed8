import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Unzip, UnzipInflate, UnzipPassThrough } from 'fflate';
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

/** Inflated-size caps for the members we read: a zip bomb is refused before it fills memory or disk. */
export const ARCHIVE_LIMITS = {
  /** `config.json` and `metadata.json`, held in memory: Keras configs of even very deep models are a few MB. */
  jsonBytes: 16 * 2 ** 20,
  /** `model.weights.h5` (streamed to a temp file; VGG16 with its top is 553 MB). */
  weightsBytes: 2 ** 31,
} as const;

const JSON_ENTRIES = new Set(['config.json', 'metadata.json']);
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** h5py writes the superblock at offset 0: anything else is refused before it is written out. */
const startsLikeHdf5 = (chunk: Uint8Array): boolean => chunk.length < HDF5_SIGNATURE.length || HDF5_SIGNATURE.every((b, i) => chunk[i] === b);

/** What `streamArchive` keeps: the JSON members' bytes (the weights went to `weightsPath`). */
interface ArchiveContents {
  json: Map<string, Uint8Array>;
  hasWeights: boolean;
}

/**
 * Stream the archive once: JSON members into memory, `model.weights.h5` into `weightsPath`, other
 * members skipped without inflating. Every member's inflated size is checked against its cap, both
 * as declared in the zip headers and as actually inflated (a bomb may declare a small size).
 */
async function streamArchive(file: string, weightsPath: string): Promise<ArchiveContents> {
  const json = new Map<string, Uint8Array[]>();
  const unsafe: string[] = [];
  let entries = 0;
  let hasWeights = false;
  let failure: UserError | undefined;
  const fd = openSync(weightsPath, 'w');
  const unzip = new Unzip((member) => {
    entries++;
    if (escapesArchive(member.name)) unsafe.push(member.name);
    const isWeights = member.name === WEIGHTS_ENTRY;
    if (unsafe.length > 0 || failure || !(isWeights || JSON_ENTRIES.has(member.name))) return;
    const cap = isWeights ? ARCHIVE_LIMITS.weightsBytes : ARCHIVE_LIMITS.jsonBytes;
    const tooBig = (how: string): UserError =>
      new UserError(`${file}: '${member.name}' in the archive ${how}, over the ${cap}-byte limit for this member; refusing a damaged or malicious .keras file.`);
    if (member.originalSize !== undefined && member.originalSize > cap) {
      failure = tooBig(`declares ${member.originalSize} bytes`);
      return;
    }
    const chunks: Uint8Array[] = [];
    let inflated = 0;
    member.ondata = (err, chunk, final) => {
      if (failure) return;
      if (err) {
        failure = new UserError(`${file}: '${member.name}' in the archive cannot be inflated (${err.message}); expected a Keras .keras file`);
        return;
      }
      if (isWeights && inflated === 0 && !startsLikeHdf5(chunk)) {
        failure = new UserError(`${file}: '${member.name}' in the archive is not an HDF5 file; expected a Keras 3 .keras file`);
      }
      inflated += chunk.length;
      if (inflated > cap) failure = tooBig(`inflates past ${cap} bytes`);
      else if (member.originalSize !== undefined && inflated > member.originalSize) {
        failure = new UserError(`${file}: '${member.name}' inflates beyond the ${member.originalSize} bytes its header declares; refusing a damaged or malicious .keras file.`);
      }
      if (failure) {
        member.terminate();
        return;
      }
      if (isWeights) writeSync(fd, chunk);
      else chunks.push(chunk);
      if (final) {
        if (isWeights) hasWeights = true;
        else json.set(member.name, chunks);
      }
    };
    try {
      member.start();
    } catch (err) {
      failure = new UserError(`${file}: '${member.name}' uses a compression this reader does not support (${(err as Error).message}); re-save the model with Keras.`);
    }
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  try {
    // Small chunks bound what one push can inflate at once (deflate expands at most ~1000x).
    for await (const chunk of createReadStream(file, { highWaterMark: 16 * 1024 })) {
      unzip.push(chunk as Buffer);
      if (failure) break;
    }
    if (!failure) unzip.push(new Uint8Array(0), true);
  } catch (err) {
    failure ??= new UserError(`${file}: not a readable zip archive (${(err as Error).message}); expected a Keras .keras file`);
  } finally {
    closeSync(fd);
  }
  if (unsafe.length > 0) throw unsafeError(file, unsafe);
  if (failure) throw failure;
  if (entries === 0) throw new UserError(`${file}: not a readable zip archive (no entries found); expected a Keras .keras file`);
  return { json: new Map([...json].map(([name, parts]) => [name, Buffer.concat(parts)])), hasWeights };
}

function unsafeError(file: string, names: string[]): UserError {
  return new UserError(
    `${file}: refusing a .keras archive with entries outside the archive (${names.map((n) => JSON.stringify(n)).join(', ')})`,
  );
}

function parseJsonEntry(entries: ReadonlyMap<string, Uint8Array>, name: string, file: string): unknown {
  const bytes = entries.get(name);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new UserError(`${file}: '${name}' in the archive is not valid JSON`);
  }
}

/**
 * Read a Keras 3 `.keras` archive: `config.json` (architecture), `metadata.json` (keras_version),
 * `model.weights.h5` (weights). The archive is streamed, never held whole in memory; h5wasm reads
 * from a path, so the weights stream into a private temp folder that is removed afterwards.
 */
export async function readKerasArchive(path: string): Promise<KerasFile> {
  const dir = await mkdtemp(join(tmpdir(), 'transferkit-keras-'));
  try {
    const local = join(dir, WEIGHTS_ENTRY);
    const { json, hasWeights } = await streamArchive(path, local);
    if (!hasWeights) {
      throw new UserError(`${path}: a zip archive without '${WEIGHTS_ENTRY}'; expected a Keras 3 .keras file`);
    }
    const modelConfig = parseJsonEntry(json, 'config.json', path);
    const metadata = parseJsonEntry(json, 'metadata.json', path) as { keras_version?: unknown } | undefined;
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

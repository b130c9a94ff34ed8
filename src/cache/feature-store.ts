/**
 * The bottleneck feature store: an lmdb environment (ACID, crash-safe, multi-process, memory-mapped
 * reads). Keys are content addresses: `f/<prefix fingerprint>/<image hash>/<augmentation variant>`.
 * Values are the features alone (labels and paths belong to the run's manifest), with an 8-byte
 * header: magic `TKF`, storage dtype, element count — a value that does not match it is a miss.
 */
import { mkdir, stat } from 'node:fs/promises';
import { open, type Database, type RootDatabase } from 'lmdb';
import { UserError } from '../errors.ts';
import { fromFloat16, toFloat16 } from './float16.ts';

/** How features are stored on disk: float32 (exact) or float16 (half the bytes, ~3 significant digits). */
export type FeatureDtype = 'float32' | 'float16';

const DTYPE_CODE: Record<FeatureDtype, number> = { float32: 1, float16: 2 };
/** Bytes before the features in a stored value. */
export const FEATURE_HEADER_BYTES = 8;
const HEADER = FEATURE_HEADER_BYTES;
const MAGIC = [0x54, 0x4b, 0x46]; // "TKF"

/** Identifies one image's features under one prefix. */
export interface FeatureKeyParts {
  /** Prefix fingerprint (`prefixFingerprint`). */
  fingerprint: string;
  /** Content hash of the image file. */
  imageHash: string;
  /** Augmentation variant id; `orig` for the un-augmented image. */
  variant: string;
}

/** The un-augmented image's variant id. */
export const ORIGINAL_VARIANT = 'orig';

export function featureKey({ fingerprint, imageHash, variant }: FeatureKeyParts): string {
  return `f/${fingerprint}/${imageHash}/${variant}`;
}

/** Refuse a feature cache path that names a file (a missing folder is fine: it is created). */
export async function requireCacheFolder(dir: string): Promise<void> {
  if ((await stat(dir).catch(() => undefined))?.isDirectory() === false) {
    throw new UserError(`feature cache ${dir} is a file, not a folder; pass --cache with a folder path (it is created when missing)`);
  }
}

/** Everything stored under one fingerprint sorts together: [start, end) of its key range. */
function fingerprintRange(fingerprint: string): { start: string; end: string } {
  return { start: `f/${fingerprint}/`, end: `f/${fingerprint}0` };
}

export interface FeatureStoreOptions {
  /** Storage dtype for `put`. Default: float32. */
  dtype?: FeatureDtype;
  /** Open without write access (exporting, reading features for training). Default: false. */
  readOnly?: boolean;
}

export interface FeatureStoreStats {
  /** Feature entries (all fingerprints, or the one asked for). */
  entries: number;
  /** Bytes of pages in use by the store (features, keys and B-tree), all fingerprints. */
  bytes: number;
}

/** Metadata kept once per fingerprint, so exports know the feature shape and where it came from. */
export interface PrefixMeta {
  fingerprint: string;
  shape: number[];
  [k: string]: unknown;
}

/** A stored value: the 8-byte header, then the features in `dtype`. */
export function encodeFeatures(features: Float32Array, dtype: FeatureDtype): Uint8Array {
  const body = dtype === 'float16' ? toFloat16(features) : features;
  const out = new Uint8Array(HEADER + body.byteLength);
  out.set(MAGIC, 0);
  out[3] = DTYPE_CODE[dtype];
  new DataView(out.buffer).setUint32(4, features.length, true);
  out.set(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), HEADER);
  return out;
}

/** Stored dtype of a value, or undefined when it is not a well-formed feature value. */
function storedDtype(value: Uint8Array): FeatureDtype | undefined {
  if (value.length < HEADER || value[0] !== MAGIC[0] || value[1] !== MAGIC[1] || value[2] !== MAGIC[2]) return undefined;
  const n = new DataView(value.buffer, value.byteOffset, HEADER).getUint32(4, true);
  if (value[3] === DTYPE_CODE.float32 && value.length === HEADER + 4 * n) return 'float32';
  if (value[3] === DTYPE_CODE.float16 && value.length === HEADER + 2 * n) return 'float16';
  return undefined;
}

/** Element count from a well-formed value's header. */
function elementCount(value: Uint8Array): number {
  return new DataView(value.buffer, value.byteOffset, HEADER).getUint32(4, true);
}

/** Decode a well-formed value of `dtype` into `out` (exactly its element count long). */
function decodeInto(value: Uint8Array, dtype: FeatureDtype, out: Float32Array): void {
  // Copy through byte views: lmdb's buffers are reused and not 4-byte aligned in general.
  const body = value.subarray(HEADER);
  if (dtype === 'float32') {
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(body);
    return;
  }
  const halves = new Uint16Array(out.length);
  new Uint8Array(halves.buffer).set(body);
  fromFloat16(halves, out);
}

function decode(value: Uint8Array): Float32Array | undefined {
  const dtype = storedDtype(value);
  if (!dtype) return undefined;
  const out = new Float32Array(elementCount(value));
  decodeInto(value, dtype, out);
  return out;
}

export class FeatureStore {
  private constructor(
    private readonly env: RootDatabase,
    private readonly db: Database<Uint8Array, string>,
    private readonly meta: Database<PrefixMeta, string>,
    readonly dir: string,
    readonly dtype: FeatureDtype,
  ) {}

  /** Open (creating when needed) the store in `dir`; several processes may open the same one. */
  static async open(dir: string, options: FeatureStoreOptions = {}): Promise<FeatureStore> {
    const readOnly = options.readOnly ?? false;
    await requireCacheFolder(dir);
    if (!readOnly) await mkdir(dir, { recursive: true });
    let env: RootDatabase;
    try {
      env = open({ path: dir, readOnly, maxDbs: 4 });
    } catch (err) {
      throw new UserError(`cannot open feature cache ${dir}: ${(err as Error).message}; expected an lmdb directory written by transferkit extract (or pass another --cache DIR)`);
    }
    const db = env.openDB<Uint8Array, string>({ name: 'features', encoding: 'binary', compression: false });
    const meta = env.openDB<PrefixMeta, string>({ name: 'prefixes', encoding: 'json' });
    return new FeatureStore(env, db, meta, dir, options.dtype ?? 'float32');
  }

  /** Features for each key, in order; undefined where missing or unreadable. */
  async get(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    const values = await this.db.getMany(keys as string[]);
    return values.map((v) => (v ? decode(v) : undefined));
  }

  /**
   * Decode the features of `keys` straight into `out` (key i at `i * perEntry`) with no array per
   * entry, so reading N entries costs their bytes once. Returns the indexes of keys that are
   * missing, malformed, or not `perEntry` long.
   */
  readInto(keys: readonly string[], out: Float32Array, perEntry: number): number[] {
    const missing: number[] = [];
    keys.forEach((key, i) => {
      // getBinaryFast's buffer is only valid until the next read: decoded at once.
      const value = this.db.getBinaryFast(key);
      const dtype = value ? storedDtype(value) : undefined;
      if (!value || !dtype || elementCount(value) !== perEntry) missing.push(i);
      else decodeInto(value, dtype, out.subarray(i * perEntry, (i + 1) * perEntry));
    });
    return missing;
  }

  /**
   * Whether `key` holds usable features: a well-formed value, and at least the store's precision
   * (a float32 store recomputes float16 entries rather than silently serving lower precision).
   */
  has(key: string): boolean {
    const value = this.db.getBinaryFast(key);
    const dtype = value ? storedDtype(value) : undefined;
    return dtype !== undefined && (this.dtype === 'float16' || dtype === 'float32');
  }

  /** Store entries in one transaction: after it resolves they survive a crash; before, none are visible. */
  async put(entries: ReadonlyArray<{ key: string; features: Float32Array }>): Promise<void> {
    const encoded = entries.map((e) => ({ key: e.key, value: encodeFeatures(e.features, this.dtype) }));
    await this.db.transaction(() => {
      for (const { key, value } of encoded) this.db.put(key, value);
    });
  }

  /**
   * Store values already encoded elsewhere (queue shards), in one transaction, skipping keys that
   * already hold usable features: storing the same entries twice changes nothing. Returns the
   * entries written.
   */
  async putEncoded<E extends { key: string; value: Uint8Array }>(entries: readonly E[]): Promise<E[]> {
    const bad = entries.find((e) => storedDtype(e.value) === undefined);
    if (bad) throw new UserError(`feature value for ${bad.key} is malformed (no TKF header or wrong length); the shard holding it is corrupt: delete it and extract again`);
    const fresh = entries.filter((e) => !this.has(e.key));
    await this.db.transaction(() => {
      for (const { key, value } of fresh) this.db.put(key, value);
    });
    return fresh;
  }

  /** Record what a fingerprint means (feature shape, weights, cut, ...); written once. */
  async putMeta(meta: PrefixMeta): Promise<void> {
    if (this.meta.get(meta.fingerprint) === undefined) await this.meta.put(meta.fingerprint, meta);
  }

  getMeta(fingerprint: string): PrefixMeta | undefined {
    return this.meta.get(fingerprint);
  }

  /** All fingerprints recorded in this store, with their metadata. */
  prefixes(): PrefixMeta[] {
    return [...this.meta.getRange()].map((e) => e.value);
  }

  /** Every key and raw value under `fingerprint` (or all), in key order: for exports and comparisons. */
  *entries(fingerprint?: string): Generator<{ key: string; value: Uint8Array }> {
    const range = fingerprint ? fingerprintRange(fingerprint) : {};
    for (const { key, value } of this.db.getRange(range)) yield { key, value };
  }

  stats(fingerprint?: string): FeatureStoreStats {
    const entries = fingerprint ? this.db.getKeysCount(fingerprintRange(fingerprint)) : this.db.getKeysCount();
    const s = this.env.getStats() as { pageSize: number; lastPageNumber: number };
    return { entries, bytes: s.pageSize * (s.lastPageNumber + 1) };
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}

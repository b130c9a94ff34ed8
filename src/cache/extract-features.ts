/**
 * `extractFeatures`: fill the feature cache for a list of images (and augmented copies) through the
 * frozen prefix, skipping what is cached, committing batch by batch so an interrupted run resumes.
 * `loadFeatures` reads them back, in order, for training.
 */
import { availableParallelism } from 'node:os';
import type { BackendPreference } from '../backend/index.ts';
import type { ResizeMode } from '../data/decode.ts';
import { hashFile } from '../data/hash.ts';
import { missingFileReason, uniqueByPath, type UnreadableImage } from '../data/unreadable.ts';
import { UserError } from '../errors.ts';
import { createEngine } from '../models/engines/index.ts';
import { engineOptions } from './jobs.ts';
import { cacheSchema, cutSchema, defaultOf, engineSchema, inputSizeSchema, resizeSchema, type PrecisionChoice } from '../options/pieces.ts';
import { FP32, int8Ranges, resolvePrecision, type PrecisionDecision, type ResolvedPrecision, type ResolvePrecisionOptions } from './precision.ts';
import type { EngineChoice, PrefixEngine } from '../models/engines/types.ts';
import { VGG16_PREPROCESSING } from '../models/preprocess.ts';
import { augmentationVariant, isNoAugmentation } from '../data/augment.ts';
import { runBatches } from './batch-runner.ts';
import { FeatureStore, featureKey, ORIGINAL_VARIANT, type FeatureDtype } from './feature-store.ts';
import { prefixFingerprint, type PrefixIdentity } from './fingerprint.ts';
import type { AugmentationSpec, BatchResult, ExtractContext, FeatureJob } from './jobs.ts';
import { runWorkerPool } from './worker-pool.ts';

/** An image to extract: a DatasetItem fits. Without `hash`, the file is hashed here. */
export interface ExtractItem {
  path: string;
  hash?: string;
  /** Whether augmented copies are made of it (training items yes, validation/test no). Default: true. */
  augment?: boolean;
}

/** Which prefix features come from; everything here is part of the cache fingerprint. */
export interface PrefixOptions {
  /** VGG16 weights file (Keras HDF5). Required. */
  weights: string;
  /** Last frozen layer. Default: `block5_pool`. */
  cut?: string;
  /** Square input side in pixels. Default: 224. */
  inputSize?: number;
  /** How images are fitted to the input. Default: DEFAULT_RESIZE (Keras `load_img`, Pillow nearest). */
  resize?: ResizeMode;
  /** Feature cache directory. Default: `~/.cache/transferkit/features` (options/'s `cache`). */
  cache?: string;
  /**
   * Precision of the features. Extraction takes a choice (`auto` decides per run, see
   * `resolvePrecision`); reading needs the decided one (`ExtractSummary.precision`). Default: fp32
   * here; `train`, the wizard and the commands default to options/'s `precision` (auto).
   */
  precision?: PrecisionChoice | ResolvedPrecision;
}

export interface ExtractOptions extends PrefixOptions {
  /** More cuts written from the same forward pass as `cut` (each under its own fingerprint). Default: none. */
  extraCuts?: readonly string[];
  /** Calibration settings for int8 (see CALIBRATION_DEFAULTS). Default: those defaults. */
  calibration?: ResolvePrecisionOptions['calibration'];
  /** Augmented copies per image on top of the original. Default: 0. */
  augmentCopies?: number;
  /** Augmentation for the copies (required when augmentCopies > 0). Default: none. */
  augmentation?: AugmentationSpec;
  /** Inference engine. Default: auto (onnx when it loads, else tfjs). */
  engine?: EngineChoice;
  /** Processes computing features in parallel (tfjs-wasm is single-threaded per process). Default: 1. */
  workers?: number;
  /** Images per engine call. Default: 8. */
  batchSize?: number;
  /** On-disk precision. Default: float32. */
  dtype?: FeatureDtype;
  /** tfjs backend. Default: initBackend's choice. */
  backend?: BackendPreference;
  /** Told how the precision was decided (e.g. the guard fell back to fp32), then the progress after every batch. Default: none. */
  onEvent?: (e: ExtractEvent) => void;
  /** Abort after the in-flight batch (Ctrl-C). Default: none. */
  signal?: AbortSignal;
}

export const EXTRACT_DEFAULTS = {
  cut: defaultOf(cutSchema),
  inputSize: defaultOf(inputSizeSchema),
  resize: defaultOf(resizeSchema),
  augmentCopies: 0,
  engine: defaultOf(engineSchema),
  workers: 1,
  batchSize: 8,
  dtype: 'float32',
  // The low-level call reads back what it wrote with the same options; runs and commands use auto.
  precision: 'fp32',
} as const satisfies Partial<ExtractOptions>;

export interface ExtractProgress {
  /** Image variants to have in the cache. */
  total: number;
  /** Settled so far (computed + reused + unreadable). */
  done: number;
  computed: number;
  reused: number;
  unreadable: number;
  /** Computed images per second since the engine started. */
  rate: number;
}

/** How the precision was decided (e.g. the guard fell back to fp32). */
export type PrecisionEvent = { type: 'precision'; decision: PrecisionDecision };

/** What extraction reports while it runs; the library never prints (the CLI renders these). */
export type ExtractEvent = PrecisionEvent | { type: 'extract'; progress: ExtractProgress };

export interface ExtractSummary {
  fingerprint: string;
  identity: PrefixIdentity;
  /** Fingerprint of each cut written (`cut` and `extraCuts`). */
  fingerprints: Record<string, string>;
  /** The precision used: pass it as `precision` to `loadFeatures`. */
  precision: ResolvedPrecision;
  /** How it was decided (absent when the caller passed a decided precision). */
  precisionDecision?: PrecisionDecision;
  /** Engine that computed (`none` when everything was cached). */
  engine: string;
  total: number;
  computed: number;
  reused: number;
  unreadable: UnreadableImage[];
  /** Feature bytes written by this run. */
  bytesWritten: number;
  /** Entries and bytes in the whole cache afterwards. */
  cache: { dir: string; entries: number; bytes: number };
  seconds: number;
  /** True when stopped by the signal before finishing (the rest resumes next run). */
  interrupted: boolean;
}

/** A decided precision from the option (a bare `fp32` or nothing is fp32). */
function decided(p: PrefixOptions['precision'], action: string): ResolvedPrecision {
  if (p === undefined || p === 'fp32') return FP32;
  if (typeof p === 'object') return p;
  throw new UserError(`${action} needs a decided precision (fp32, or int8 with its calibration from ExtractSummary.precision), not '${p}'`);
}

/**
 * The precision of one extraction, decided once: a choice other than fp32 is calibrated and guarded
 * (`resolvePrecision`, whose decision `onEvent` is told); a decided one is used as it is.
 */
export async function decidePrecision(
  items: readonly ExtractItem[],
  o: Omit<ResolvePrecisionOptions, 'precision' | 'cuts'> & Pick<ExtractOptions, 'precision'> & { onEvent?: (e: PrecisionEvent) => void },
  cuts: readonly string[],
): Promise<{ precision: ResolvedPrecision; decision?: PrecisionDecision }> {
  if (typeof o.precision !== 'string' || o.precision === 'fp32') return { precision: decided(o.precision, 'extraction') };
  const decision = await resolvePrecision(items, { ...o, precision: o.precision, cuts });
  o.onEvent?.({ type: 'precision', decision });
  return { precision: decision.resolved, decision };
}

/** The fingerprint (and what went into it) for features of `options`. */
export async function resolvePrefix(options: PrefixOptions): Promise<{ fingerprint: string; identity: PrefixIdentity }> {
  const precision = decided(options.precision, 'reading cached features');
  const identity: PrefixIdentity = {
    weightsHash: await hashFile(options.weights).catch((err: NodeJS.ErrnoException) => {
      throw new UserError(`weights file ${options.weights}: ${err.code === 'ENOENT' ? 'not found' : err.message}; pass --weights FILE (e.g. from transferkit init-weights or transferkit fetch-weights)`);
    }),
    cut: options.cut ?? EXTRACT_DEFAULTS.cut,
    inputSize: options.inputSize ?? EXTRACT_DEFAULTS.inputSize,
    resize: options.resize ?? EXTRACT_DEFAULTS.resize,
    preprocessing: VGG16_PREPROCESSING.mode,
    ...(precision.precision === 'int8' ? { precision: `int8:${precision.calibration}` } : {}),
  };
  return { fingerprint: prefixFingerprint(identity), identity };
}

async function itemHash(item: ExtractItem): Promise<string> {
  return item.hash ?? hashFile(item.path);
}

/** Variant ids in copy order: the original first. */
export function variantIds(copies: number, spec: AugmentationSpec | undefined): string[] {
  if (copies > 0 && (!spec || isNoAugmentation(spec.options)))
    throw new UserError(`${copies} augmented copies asked for, but the augmentation changes nothing; add augmentation flags (e.g. --augment standard)`);
  return [ORIGINAL_VARIANT, ...Array.from({ length: copies }, (_, i) => augmentationVariant(spec!.options, { seed: spec!.seed, copy: i + 1 }))];
}

/** The cache keys a set of items needs, and the items that could not even be read. */
export interface JobPlan {
  /** Every image variant by cache key (the first cut's): the same image content under two names is computed once. */
  wanted: Map<string, FeatureJob>;
  /** Files that cannot be read have no hash: they are unreadable by their path. */
  unreadable: UnreadableImage[];
  /** Every path with the same content as `path` (itself included). */
  samePaths(path: string): string[];
}

/** Every image variant `items` need under `fingerprint` (and the extra cuts' fingerprints, written by the same job), by cache key. */
export async function planJobs(items: readonly ExtractItem[], fingerprint: string, variants: readonly string[], extraFingerprints: readonly string[] = []): Promise<JobPlan> {
  const wanted = new Map<string, FeatureJob>();
  const pathsByHash = new Map<string, string[]>();
  const hashOf = new Map<string, string>();
  const unreadable: UnreadableImage[] = [];
  for (const item of items) {
    const imageHash = await itemHash(item).catch(async () => {
      unreadable.push({ path: item.path, reason: await missingFileReason(item.path) });
      return undefined;
    });
    if (imageHash === undefined) continue;
    hashOf.set(item.path, imageHash);
    const same = pathsByHash.get(imageHash);
    if (same) same.push(item.path);
    else pathsByHash.set(imageHash, [item.path]);
    (item.augment === false ? variants.slice(0, 1) : variants).forEach((variant, copy) => {
      const keys = [fingerprint, ...extraFingerprints].map((f) => featureKey({ fingerprint: f, imageHash, variant }));
      if (!wanted.has(keys[0]!)) wanted.set(keys[0]!, { key: keys[0]!, keys, path: item.path, imageHash, copy });
    });
  }
  return { wanted, unreadable, samePaths: (path) => pathsByHash.get(hashOf.get(path) ?? '') ?? [path] };
}

export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Fill the cache for `items`; resolves with what was computed, reused and skipped. */
export async function extractFeatures(items: readonly ExtractItem[], options: ExtractOptions): Promise<ExtractSummary> {
  const o = { ...EXTRACT_DEFAULTS, ...options, cache: options.cache ?? defaultOf(cacheSchema) };
  const started = performance.now();
  const cuts = [...new Set([o.cut, ...(o.extraCuts ?? [])])];
  const { precision, decision } = await decidePrecision(items, o, cuts);
  const prefixes = await Promise.all(cuts.map((cut) => resolvePrefix({ ...o, cut, precision })));
  const { fingerprint, identity } = prefixes[0]!;
  const variants = variantIds(o.augmentCopies, o.augmentation);
  const store = await FeatureStore.open(o.cache, { dtype: o.dtype });
  try {
    // One pass writes every cut: an image is computed when any of its cuts is missing.
    const { wanted, unreadable, samePaths } = await planJobs(items, fingerprint, variants, prefixes.slice(1).map((p) => p.fingerprint));
    const jobs = [...wanted.values()].filter((job) => (job.keys ?? [job.key]).some((k) => !store.has(k)));
    const progress: ExtractProgress = { total: wanted.size, done: wanted.size - jobs.length, computed: 0, reused: wanted.size - jobs.length, unreadable: 0, rate: 0 };
    let bytesWritten = 0;
    let engineName = 'none';
    o.onEvent?.({ type: 'extract', progress: { ...progress } });
    if (jobs.length > 0) {
      const ctx: ExtractContext = {
        weights: o.weights,
        cut: identity.cut,
        extraCuts: cuts.slice(1),
        // Read only when something is computed: a fully cached run needs no calibration.
        int8: precision.precision === 'int8' ? await int8Ranges(precision, o.cache, decision) : undefined,
        inputSize: identity.inputSize,
        resize: identity.resize,
        engine: o.engine,
        backend: o.backend,
        threads: o.workers > 1 ? Math.max(1, Math.floor(availableParallelism() / o.workers)) : undefined,
        cacheDir: o.cache,
        dtype: o.dtype,
        augmentation: o.augmentation,
      };
      let computeStart = 0;
      const onResult = (r: BatchResult): void => {
        progress.computed += r.computed;
        progress.unreadable += r.unreadable.length;
        progress.done += r.computed + r.unreadable.length;
        progress.rate = progress.computed / ((performance.now() - computeStart) / 1000);
        // Every path with the failing content is unreadable, not just the one that was decoded.
        for (const u of r.unreadable) for (const path of samePaths(u.path)) unreadable.push({ path, reason: u.reason });
        bytesWritten += r.bytes;
        o.onEvent?.({ type: 'extract', progress: { ...progress } });
      };
      const onReady = async (engine: string, outputShapes: readonly (readonly number[])[]): Promise<void> => {
        engineName = engine;
        computeStart = performance.now();
        for (const [k, p] of prefixes.entries()) await store.putMeta({ fingerprint: p.fingerprint, shape: [...outputShapes[k]!], ...p.identity, weights: o.weights });
      };
      if (o.workers > 1) {
        await runWorkerPool(chunks(jobs, o.batchSize), ctx, o.workers, { onReady, onResult, signal: o.signal });
      } else {
        // Created on first need: a rerun where only unreadable files are left starts no engine.
        let engine: Promise<PrefixEngine> | undefined;
        const getEngine = (): Promise<PrefixEngine> =>
          (engine ??= createEngine(engineOptions(ctx)).then(async (e) => {
            await onReady(e.name, e.outputShapes);
            return e;
          }));
        try {
          await runBatches(chunks(jobs, o.batchSize), getEngine, store, ctx, onResult, o.signal);
        } finally {
          if (engine) await (await engine).dispose();
        }
      }
    }
    const stats = store.stats();
    return {
      fingerprint,
      identity,
      fingerprints: Object.fromEntries(cuts.map((c, k) => [c, prefixes[k]!.fingerprint])),
      precision,
      precisionDecision: decision,
      engine: engineName,
      total: progress.total,
      computed: progress.computed,
      reused: progress.reused,
      unreadable: uniqueByPath(unreadable),
      bytesWritten,
      cache: { dir: o.cache, entries: stats.entries, bytes: stats.bytes },
      seconds: (performance.now() - started) / 1000,
      interrupted: progress.done < progress.total,
    };
  } finally {
    await store.close();
  }
}

export interface LoadFeaturesOptions extends PrefixOptions {
  /** Which variant: 0 = original, k = augmented copy k. Default: 0. */
  copy?: number;
  /** Augmentation the copies were made with (required for copy > 0). Default: none. */
  augmentation?: AugmentationSpec;
}

/**
 * Features for `items`, in order, as one [n, ...featureShape] float32 array (ready for
 * `tf.tensor(features, shape)`). Throws a UserError naming the missing images when any is not cached.
 */
export async function loadFeatures(items: readonly ExtractItem[], options: LoadFeaturesOptions): Promise<{ features: Float32Array; shape: number[] }> {
  const { fingerprint } = await resolvePrefix(options);
  const copy = options.copy ?? 0;
  const variant = variantIds(copy, options.augmentation)[copy]!;
  const store = await FeatureStore.open(options.cache ?? defaultOf(cacheSchema), { readOnly: true });
  try {
    const meta = store.getMeta(fingerprint);
    const hashes = await Promise.all(items.map(itemHash));
    const per = meta ? meta.shape.reduce((a, b) => a * b, 1) : 0;
    // The result is the only copy of the data: entries decode straight into it.
    const features = new Float32Array(items.length * per);
    const keys = hashes.map((imageHash) => featureKey({ fingerprint, imageHash, variant }));
    const missing = (meta ? store.readInto(keys, features, per) : []).map((i) => items[i]!);
    if (!meta || missing.length > 0) {
      const names = missing.slice(0, 3).map((m) => m.path).join(', ');
      throw new UserError(`${missing.length || items.length} of ${items.length} images have no cached features for this prefix (${names || 'none cached'}); run transferkit extract first`);
    }
    return { features, shape: [items.length, ...meta.shape] };
  } finally {
    await store.close();
  }
}

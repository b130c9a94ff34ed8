/**
 * `--precision auto|fp32|int8`: which features a run uses. int8 needs a calibration (activation
 * ranges measured on a seeded sample of the run's own training images) and passes a guard (int8 vs
 * fp32 features on held-back calibration images) before any int8 feature is computed. The
 * calibration and the guard's figures are cached per weights + images + settings, so they are
 * computed once; the resolved precision (with the calibration's fingerprint) keys the feature cache.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendPreference } from '../backend/index.ts';
import type { ResizeMode } from '../data/decode.ts';
import { hashFile } from '../data/hash.ts';
import { createRng, shuffled } from '../data/random.ts';
import { UserError } from '../errors.ts';
import type { PrecisionChoice } from '../options/pieces.ts';
import { calibrationPass, CALIBRATION_CUTS, compareWithReference, GUARD_CUTS, guardCutFor, int8WeightBits, type CalibrationMethod, type CutAgreement } from '../models/engines/calibrate.ts';
import { createEngine, onnxProviders, resolveEngine } from '../models/engines/index.ts';
import type { Int8Ranges } from '../models/engines/prefix-graph.ts';
import type { EngineChoice } from '../models/engines/types.ts';
import { VGG16_PREPROCESSING } from '../models/preprocess.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { decodeBatch, toInput } from './batch-runner.ts';
import { requireCacheFolder } from './feature-store.ts';

/** A decided precision: fp32, or int8 under one calibration (its fingerprint keys the cache). */
export type ResolvedPrecision = { precision: 'fp32' } | { precision: 'int8'; calibration: string };

export const FP32: ResolvedPrecision = { precision: 'fp32' };

/**
 * The guard's thresholds, worst held-back image at each cut the run reads. Measured int8 agreement
 * on VGG16 is cosine >= 0.9997 / relative error <= 0.03 (docs/onnx-engine.md); a cosine of 0.995
 * with equal norms means a relative error of ~0.1 (|a - b|² = 2(1 - cos)), so both thresholds
 * leave a >= 3x margin for honest calibrations while a broken range (clipped or too coarse
 * activations) lands far below them.
 */
export const GUARD_THRESHOLDS = { minCosine: 0.995, maxRelativeError: 0.1 } as const;

export interface CalibrationSettings {
  images: number;
  heldBack: number;
  method: CalibrationMethod;
  seed: number;
}

/** Calibration settings; the defaults live here only. */
export const CALIBRATION_DEFAULTS = {
  /**
   * Images whose activations set the ranges. Measured (bench calibration, 3 folders, the same 8
   * held-back images): 8 give the guard figures of 16 to the 4th digit of cosine, in ~2 s less.
   */
  images: 8,
  /** More images, never calibrated on, that the guard compares int8 with fp32 on. */
  heldBack: 8,
  /** Measured on cats-dogs + hymenoptera (docs/onnx-engine.md): percentile clips rare outliers. */
  method: 'percentile',
  seed: 0,
} as const satisfies CalibrationSettings;

/** Fewest readable sample images for a calibration (at least one held back). */
const MIN_IMAGES = 4;
const SCHEME = 'transferkit-int8-calibration-v2';

export interface CalibrationRecord {
  fingerprint: string;
  method: CalibrationMethod;
  ranges: Int8Ranges;
  /** Content hashes of the calibration and held-back images. */
  images: { calibration: string[]; heldBack: string[] };
  /** int8 vs fp32 on the held-back images at each guard cut. */
  guard: Record<string, CutAgreement>;
  created: string;
}

/** What decided the precision, for a one-line message (the library never prints). */
export interface PrecisionDecision {
  type: 'precision';
  requested: PrecisionChoice;
  resolved: ResolvedPrecision;
  /** One sentence: why this precision (guard figures when int8 was considered). */
  message: string;
  /** True when int8 was asked for (or auto wanted it) but fp32 is used. */
  fellBack: boolean;
  calibration?: CalibrationRecord;
}

export interface ResolvePrecisionOptions {
  weights: string;
  inputSize: number;
  resize: ResizeMode;
  cache: string;
  engine: EngineChoice;
  backend?: BackendPreference;
  precision: PrecisionChoice;
  /** Cuts the run will read: the guard must pass at each. */
  cuts: readonly string[];
  /** Calibration settings. Default: CALIBRATION_DEFAULTS, weight bits from the CPU. */
  calibration?: Partial<CalibrationSettings> & { weightBits?: 7 | 8 };
  /** Replace the measured ranges before the guard runs (tests break a calibration on purpose). */
  alterRanges?: (ranges: Int8Ranges) => Int8Ranges;
}

const calibrationPath = (cache: string, fingerprint: string): string => join(cache, 'calibration', `${fingerprint}.json`);

/** The calibration record cached under `fingerprint` (written by `resolvePrecision`). */
export async function loadCalibration(cache: string, fingerprint: string): Promise<CalibrationRecord> {
  try {
    return JSON.parse(await readFile(calibrationPath(cache, fingerprint), 'utf8')) as CalibrationRecord;
  } catch (err) {
    throw new UserError(`int8 calibration ${fingerprint.slice(0, 12)} is not in ${join(cache, 'calibration')} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); re-run extraction with --precision auto to recalibrate, or use --precision fp32`);
  }
}

/** The ranges int8 features of `precision` are computed with: the decision's calibration, or the cached one. */
export async function int8Ranges(precision: Extract<ResolvedPrecision, { precision: 'int8' }>, cache: string, decision?: PrecisionDecision): Promise<Int8Ranges> {
  return (decision?.calibration ?? (await loadCalibration(cache, precision.calibration))).ranges;
}

/** The images calibrated on and held back: a seeded sample of distinct training images. */
async function sample(items: readonly { path: string; hash?: string; augment?: boolean }[], seed: number, count: number): Promise<{ path: string; hash: string }[]> {
  const byHash = new Map<string, string>();
  for (const item of items) {
    if (item.augment === false) continue;
    // A file that cannot be opened is not sampled: extraction reports it as unreadable, by path.
    const hash = item.hash ?? (await hashFile(item.path).catch(() => undefined));
    if (hash !== undefined && !byHash.has(hash)) byHash.set(hash, item.path);
  }
  const sorted = [...byHash].sort(([a], [b]) => (a < b ? -1 : 1)).map(([hash, path]) => ({ hash, path }));
  return shuffled(sorted, createRng(`calibration:${seed}`)).slice(0, count);
}

function fingerprintOf(parts: readonly (string | number)[]): string {
  return createHash('sha256').update([SCHEME, ...parts].join('\n')).digest('hex');
}

function fallback(requested: PrecisionChoice, message: string, calibration?: CalibrationRecord): PrecisionDecision {
  return { type: 'precision', requested, resolved: FP32, message, fellBack: requested !== 'fp32', calibration };
}

/**
 * Decide the precision for extracting `items` (training items: `augment !== false`) at `cuts`.
 * auto = int8 on onnxruntime's CPU provider when the guard passes, fp32 otherwise; int8 = the same,
 * but an error where int8 cannot run at all.
 */
export async function resolvePrecision(items: readonly { path: string; hash?: string; augment?: boolean }[], o: ResolvePrecisionOptions): Promise<PrecisionDecision> {
  if (o.precision === 'fp32') return fallback('fp32', 'precision fp32 (asked for)');
  const cpu = (await resolveEngine(o.engine)) === 'onnx' && onnxProviders()[0] === 'cpu';
  if (!cpu) {
    if (o.precision === 'int8') throw new UserError('--precision int8 runs on the onnx engine with the CPU provider only; use --precision fp32 or auto with --engine tfjs or a GPU provider');
    return fallback('auto', 'precision fp32: int8 runs on onnxruntime CPU only, and this run uses another engine or provider');
  }
  await requireCacheFolder(o.cache);
  const c = { ...CALIBRATION_DEFAULTS, ...o.calibration };
  const weightBits = o.calibration?.weightBits ?? (await int8WeightBits());
  const chosen = await sample(items, c.seed, c.images + c.heldBack);
  if (chosen.length < MIN_IMAGES) {
    if (o.precision === 'int8') throw new UserError(`--precision int8 needs at least ${MIN_IMAGES} training images to calibrate on, found ${chosen.length}; use --precision fp32`);
    return fallback('auto', `precision fp32: ${chosen.length} training images are too few to calibrate int8 on (${MIN_IMAGES} needed)`);
  }
  const held = Math.max(1, Math.round((chosen.length * c.heldBack) / (c.images + c.heldBack)));
  // Held-back images first: calibrating on more or fewer images keeps the guard's images.
  const heldBack = chosen.slice(0, held);
  const cal = chosen.slice(held);
  const weightsHash = await hashFile(o.weights);
  const altered = o.alterRanges ? `altered:${o.alterRanges.toString()}` : '';
  const fingerprint = fingerprintOf([weightsHash, o.inputSize, o.resize, VGG16_PREPROCESSING.mode, c.method, weightBits, cal.map((i) => i.hash).join(','), heldBack.map((i) => i.hash).join(','), altered]);
  const record = await loadCalibration(o.cache, fingerprint).catch(() => undefined) ?? (await calibrate(o, { fingerprint, method: c.method, weightBits, cal, heldBack }));
  const failing = [...new Set(o.cuts.map(guardCutFor))].map((cut) => ({ cut, ...record.guard[cut]! })).filter((g) => g.minCosine < GUARD_THRESHOLDS.minCosine || g.maxRelativeError > GUARD_THRESHOLDS.maxRelativeError);
  const worst = (cut: string): string => `cosine ${record.guard[cut]!.minCosine.toFixed(4)}, relative error ${record.guard[cut]!.maxRelativeError.toFixed(3)}`;
  if (failing.length > 0) {
    const f = failing[0]!;
    return fallback(o.precision, `precision fp32: int8 features disagree with fp32 on ${record.images.heldBack.length} held-back images at ${f.cut} (${worst(f.cut)}; need cosine >= ${GUARD_THRESHOLDS.minCosine} and relative error <= ${GUARD_THRESHOLDS.maxRelativeError})`, record);
  }
  const at = guardCutFor(o.cuts[0] ?? GUARD_CUTS.at(-1)!);
  return {
    type: 'precision',
    requested: o.precision,
    resolved: { precision: 'int8', calibration: fingerprint },
    message: `precision int8 (${record.method} calibration on ${record.images.calibration.length} images, ${weightBits}-bit weights; guard on ${record.images.heldBack.length} held-back images at ${at}: ${worst(at)})`,
    fellBack: false,
    calibration: record,
  };
}

/** Decode, preprocess, run the fp32 reference pass and the int8 guard; cache the record. */
async function calibrate(
  o: ResolvePrecisionOptions,
  c: { fingerprint: string; method: CalibrationMethod; weightBits: 7 | 8; cal: { path: string; hash: string }[]; heldBack: { path: string; hash: string }[] },
): Promise<CalibrationRecord> {
  const ctx = { inputSize: o.inputSize, resize: o.resize };
  const images = async (list: { path: string; hash: string }[]) => {
    const decoded = await decodeBatch(list.map((i) => ({ key: i.hash, path: i.path, imageHash: i.hash, copy: 0 })), { ...ctx, weights: o.weights, cut: '', engine: o.engine, cacheDir: o.cache, dtype: 'float32' });
    return { hashes: decoded.jobs.map((j) => j.imageHash), inputs: decoded.pixels.map((p) => toInput([p], o.inputSize)) };
  };
  const cal = await images(c.cal);
  const held = await images(c.heldBack);
  if (cal.inputs.length === 0 || held.inputs.length === 0) throw new UserError(`no readable images to calibrate int8 on (tried ${[...c.cal, ...c.heldBack].map((i) => i.path).slice(0, 3).join(', ')}); use --precision fp32`);
  const [first, ...rest] = CALIBRATION_CUTS;
  const fp32 = await createEngine({ weights: o.weights, cut: first!, extraCuts: rest, inputSize: o.inputSize, engine: 'onnx', backend: o.backend });
  let pass;
  try {
    pass = await calibrationPass(fp32, cal.inputs, held.inputs, c.method);
  } finally {
    await fp32.dispose();
  }
  const measured: Int8Ranges = { ...pass.ranges, weightBits: c.weightBits };
  const ranges = o.alterRanges ? o.alterRanges(measured) : measured;
  const [g0, ...gRest] = GUARD_CUTS;
  const int8 = await createEngine({ weights: o.weights, cut: g0!, extraCuts: gRest, inputSize: o.inputSize, engine: 'onnx', backend: o.backend, int8: ranges });
  let guard;
  try {
    guard = await compareWithReference(int8, held.inputs, pass.reference);
  } finally {
    await int8.dispose();
  }
  const record: CalibrationRecord = { fingerprint: c.fingerprint, method: c.method, ranges, images: { calibration: cal.hashes, heldBack: held.hashes }, guard, created: new Date().toISOString() };
  await writeFileAtomic(calibrationPath(o.cache, c.fingerprint), JSON.stringify(record, null, 2) + '\n');
  return record;
}

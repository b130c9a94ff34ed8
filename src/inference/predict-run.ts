import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { initBackend, type BackendPreference } from '../backend/index.ts';
import type { DatasetItem } from '../data/dataset.ts';
import { hasImageExtension, isIgnoredEntry } from '../data/formats.ts';
import { missingFileReason, type UnreadableImage } from '../data/unreadable.ts';
import { UserError } from '../errors.ts';
import type { EngineChoice } from '../models/engines/index.ts';
import { RUN_FILES } from '../run/files.ts';
import { loadRun, type LoadedRun } from '../run/load-run.ts';
import { inferImages, runInt8Prefix } from './infer.ts';
import { defaultOf, engineSchema } from '../options/pieces.ts';

/** Options of `predictRun`. */
export interface PredictRunOptions {
  /** Classes reported per image (capped at the number of classes). Default: 5. */
  top?: number;
  /** Images per forward pass. Default: 16. */
  batchSize?: number;
  /** Inference engine (see `InferOptions.engine`). Default: auto (onnx when it loads). */
  engine?: EngineChoice;
  /** tfjs backend. Default: initBackend's choice. */
  backend?: BackendPreference;
}

export const PREDICT_DEFAULTS = { top: 5, batchSize: 16, engine: defaultOf(engineSchema) } as const;

/** One class of an image's top-k. */
export interface ClassProbability {
  class: string;
  /** Index into the run's classes. */
  index: number;
  probability: number;
}

/** The top-k classes of one image, most probable first. */
export interface RunPrediction {
  image: string;
  predictions: ClassProbability[];
}

export interface PredictRunResult {
  /** One entry per readable image, in the order the inputs named them (folders expanded, sorted). */
  predictions: RunPrediction[];
  /** Inputs that were missing or could not be decoded, with the reason; the others still ran. */
  unreadable: UnreadableImage[];
  /** Set when the run did not finish: the model is its best checkpoint (`LoadedRun.unfinished`). */
  unfinished?: string;
}

/** True when `path` is a run directory (holds the resolved config `train` writes). */
export async function isRunDir(path: string): Promise<boolean> {
  const info = await stat(join(path, RUN_FILES.config)).catch(() => undefined);
  return info?.isFile() ?? false;
}

/** Image files under a folder, recursively, sorted; hidden entries and non-image extensions skipped. */
async function imagesIn(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !isIgnoredEntry(e.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await imagesIn(path)));
    else if (hasImageExtension(e.name)) out.push(path);
  }
  return out;
}

/**
 * Files and folders (searched recursively) as image paths. A file named directly is kept whatever its
 * extension (decoding decides); a missing path is reported, not fatal.
 */
export async function expandImageInputs(inputs: readonly string[]): Promise<{ paths: string[]; missing: UnreadableImage[] }> {
  const paths: string[] = [];
  const missing: UnreadableImage[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info === undefined) missing.push({ path: input, reason: await missingFileReason(input) });
    else if (info.isDirectory()) paths.push(...(await imagesIn(input)));
    else paths.push(input);
  }
  return { paths, missing };
}

/** Top-k of a probability row, most probable first. */
function topK(row: Float32Array, classes: readonly string[], k: number): ClassProbability[] {
  return Array.from(row, (probability, index) => ({ class: classes[index]!, index, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k);
}

/** Predict with an already loaded run (the model is not disposed). */
export async function predictWithRun(
  run: Pick<LoadedRun, 'model' | 'classes' | 'preprocessing'> & Partial<Pick<LoadedRun, 'int8' | 'description'>>,
  inputs: readonly string[],
  options: Pick<PredictRunOptions, 'top' | 'batchSize' | 'engine'> = {},
): Promise<PredictRunResult> {
  const o = { ...PREDICT_DEFAULTS, ...options };
  const { paths, missing } = await expandImageInputs(inputs);
  if (paths.length === 0 && missing.length === 0) throw new UserError(`no image files in ${inputs.join(', ') || '(nothing given)'}; pass image files or folders of images after the run directory.`);
  // Labels are unknown at prediction time; inference only reads the paths.
  const items: DatasetItem[] = paths.map((path) => ({ path, classIndex: 0, className: '' }));
  const inferred = await inferImages(run.model, items, run.preprocessing, { batchSize: o.batchSize, engine: o.engine, int8Prefix: runInt8Prefix(run) });
  return {
    predictions: inferred.items.map((item, i) => ({ image: item.path, predictions: topK(inferred.probabilities[i]!, run.classes, o.top) })),
    unreadable: [...missing, ...inferred.unreadable],
  };
}

/**
 * `transferkit predict RUN_DIR IMAGE_OR_FOLDER...`: the run's top-k classes for each image, with
 * exactly the preprocessing the run trained with.
 */
export async function predictRun(runDir: string, inputs: readonly string[], options: PredictRunOptions = {}): Promise<PredictRunResult> {
  await initBackend(options.backend);
  const run = await loadRun(resolve(runDir));
  try {
    const result = await predictWithRun(run, inputs, options);
    return run.unfinished ? { ...result, unfinished: run.unfinished } : result;
  } finally {
    run.model.dispose();
  }
}

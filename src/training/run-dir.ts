import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { createRng } from '../data/random.ts';
import { UserError } from '../errors.ts';
import { loadWeights } from '../keras/index.ts';
import type { Int8Ranges } from '../models/engines/prefix-graph.ts';
import type { Preprocessing } from '../models/preprocess.ts';
import type { StrategyPlan } from '../strategies/types.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import type { EpochLogs } from './callbacks.ts';
import { buildNetwork } from './network.ts';

/** File names inside a run directory (one place, so evaluate/predict/export read what train wrote). */
export const RUN_FILES = {
  config: 'config.json',
  classes: 'classes.json',
  manifest: 'manifest.json',
  history: 'history.json',
  historyCsv: 'history.csv',
  curves: 'curves.png',
  /** The trainer's weights (suffix + head) at the best val_loss epoch, legacy Keras layout. */
  checkpoint: 'best.weights.h5',
  /** The stitched model's weights (prefix + suffix + head), legacy Keras layout. */
  modelWeights: 'model.weights.h5',
  /** How to rebuild the stitched model (`ModelDescription`). */
  model: 'model.json',
  /** int8 runs: the calibration the frozen prefix ran with (predict and evaluate reuse it). */
  calibration: 'int8-calibration.json',
} as const;

/** `model.json`: enough to rebuild the stitched model's architecture with our code. */
export interface ModelDescription {
  format: 'transferkit-model';
  version: 1;
  /** The strategy as data: cut, kept layers, head. */
  plan: StrategyPlan;
  inputSize: number;
  classes: string[];
  /** The exact preprocessing training used; prediction must apply the same. */
  preprocessing: Preprocessing;
}

/** Everything evaluate / predict / export need from a finished run. */
export interface LoadedRun {
  /** The stitched model: image (preprocessed) -> class probabilities. */
  model: tf.LayersModel;
  classes: string[];
  preprocessing: Preprocessing;
  /** The resolved config the run was trained with (`config.json`). */
  config: Record<string, unknown>;
  description: ModelDescription;
  /** The frozen prefix's int8 ranges when the run trained on int8 features (predict and evaluate match them). */
  int8?: Int8Ranges;
}

/** Write JSON atomically, pretty-printed. */
export function writeJson(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

const HISTORY_COLUMNS = ['epoch', 'phase', 'loss', 'acc', 'val_loss', 'val_acc', 'lr'] as const;

/** history.json and history.csv (Keras CSVLogger columns), both atomic. */
export async function writeHistory(runDir: string, history: readonly EpochLogs[]): Promise<void> {
  const csv = [HISTORY_COLUMNS.join(','), ...history.map((h) => HISTORY_COLUMNS.map((c) => String(h[c])).join(','))].join('\n') + '\n';
  await writeJson(join(runDir, RUN_FILES.history), history);
  await writeFileAtomic(join(runDir, RUN_FILES.historyCsv), csv);
}

async function readJson<T>(path: string, what: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message;
    throw new UserError(`${path}: ${reason}; expected the ${what} a \`transferkit train\` run writes. Pass a run directory (e.g. runs/NAME).`);
  }
}

/**
 * Load a run directory: rebuild the stitched model from `model.json` and load `model.weights.h5`
 * (by position: it was written from this very architecture).
 */
export async function loadRun(runDir: string): Promise<LoadedRun> {
  const description = await readJson<ModelDescription>(join(runDir, RUN_FILES.model), 'model description');
  if (description.format !== 'transferkit-model' || description.version !== 1) {
    throw new UserError(`${join(runDir, RUN_FILES.model)}: not a transferkit model description (format ${String(description.format)}, version ${String(description.version)}).`);
  }
  const config = await readJson<Record<string, unknown>>(join(runDir, RUN_FILES.config), 'resolved config');
  const weightsPath = join(runDir, RUN_FILES.modelWeights);
  await access(weightsPath).catch(() => {
    throw new UserError(
      `${weightsPath} not found: the run did not finish. Its best checkpoint (${RUN_FILES.checkpoint}) holds the trained layers; re-run \`transferkit train\` to produce the model.`,
    );
  });
  // The seed only fills weights that the file then overwrites.
  const { model, trainer } = await buildNetwork({ plan: description.plan, inputSize: description.inputSize, classes: description.classes.length, random: createRng('load') });
  // The trainer shares the head's layers (each holds a reference): drop it so model.dispose() frees every weight.
  if (trainer !== model) trainer.dispose();
  try {
    await loadWeights(model, weightsPath);
  } catch (err) {
    model.dispose();
    throw err;
  }
  const int8 = (config.precision as { precision?: string } | undefined)?.precision === 'int8'
    ? (await readJson<{ ranges: Int8Ranges }>(join(runDir, RUN_FILES.calibration), 'int8 calibration')).ranges
    : undefined;
  return { model, classes: description.classes, preprocessing: description.preprocessing, config, description, int8 };
}

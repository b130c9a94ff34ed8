import { access, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { createRng } from '../data/random.ts';
import { UserError } from '../errors.ts';
import { weightsFileHash } from '../cache/fingerprint.ts';
import { loadWeights, readKerasFile, type KerasFile } from '../keras/index.ts';
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
  /**
   * The final model's weights, legacy Keras layout: the trained layers (suffix + head) when
   * `model.json` references the frozen prefix's weights file (`frozen`), else every layer.
   */
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
  /**
   * The weights file the frozen prefix (every layer before the cut) loads from, and its sha256: the
   * run does not store a second copy of it. Absent for runs where every layer trained or from before.
   */
  frozen?: { path: string; sha256: string };
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
  /** Set when the run did not finish (killed, interrupted): says the model is its best checkpoint. */
  unfinished?: string;
  /** The frozen prefix's int8 ranges when the run trained on int8 features (predict and evaluate match them). */
  int8?: Int8Ranges;
}

/** Write JSON atomically, pretty-printed. */
export function writeJson(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Remove a run that holds nothing worth keeping (no trained weights): the files `train` writes,
 * then the folder when that leaves it empty (anything else in it stays).
 */
export async function discardRun(runDir: string): Promise<void> {
  await Promise.all(Object.values(RUN_FILES).map((f) => rm(join(runDir, f), { force: true })));
  await rmdir(runDir).catch(() => undefined);
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

/** A run's `config.json`, or a UserError saying the folder is not a run. */
export function readRunConfig(runDir: string): Promise<Record<string, unknown>> {
  return readJson<Record<string, unknown>>(join(runDir, RUN_FILES.config), 'resolved config');
}

/** The frozen prefix's weights file a run references, checked against the sha256 training saw. */
async function frozenWeights(ref: { path: string; sha256: string }, modelJson: string): Promise<KerasFile> {
  const sha256 = await weightsFileHash(ref.path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    throw new UserError(`${modelJson} takes its frozen VGG16 layers from ${ref.path}, which is missing; put that weights file back there (sha256 ${ref.sha256}).`);
  });
  if (sha256 !== ref.sha256) {
    throw new UserError(`${ref.path} has sha256 ${sha256}, but ${modelJson} was trained on the file with sha256 ${ref.sha256}; put the original weights file back at that path.`);
  }
  return readKerasFile(ref.path);
}

/**
 * Load a run directory: rebuild the stitched model from `model.json`, its frozen prefix from the
 * referenced weights file (sha256-checked), and load the trained layers by position (written from
 * this very architecture): `model.weights.h5`, or for a run whose process died before writing it
 * `best.weights.h5`, and `unfinished` says so.
 */
export async function loadRun(runDir: string): Promise<LoadedRun> {
  const description = await readJson<ModelDescription>(join(runDir, RUN_FILES.model), 'model description');
  if (description.format !== 'transferkit-model' || description.version !== 1) {
    throw new UserError(`${join(runDir, RUN_FILES.model)}: not a transferkit model description (format ${String(description.format)}, version ${String(description.version)}).`);
  }
  const config = await readRunConfig(runDir);
  const weightsPath = join(runDir, RUN_FILES.modelWeights);
  const finished = await exists(weightsPath);
  if (!finished && !(await exists(join(runDir, RUN_FILES.checkpoint)))) {
    throw new UserError(`${runDir}: neither ${RUN_FILES.modelWeights} nor ${RUN_FILES.checkpoint}: the run stopped before its first epoch ended; run \`transferkit train --resume ${runDir}\` or train again.`);
  }
  const int8 = (config.precision as { precision?: string } | undefined)?.precision === 'int8'
    ? (await readJson<{ ranges: Int8Ranges }>(join(runDir, RUN_FILES.calibration), 'int8 calibration')).ranges
    : undefined;
  const frozen = description.frozen ? await frozenWeights(description.frozen, join(runDir, RUN_FILES.model)) : undefined;
  // The seed only fills weights that the files then overwrite.
  const { model, trainer } = await buildNetwork({ plan: description.plan, inputSize: description.inputSize, classes: description.classes.length, weights: frozen, random: createRng('load') });
  try {
    // The checkpoint holds the trainer's layers; model.weights.h5 too with a frozen reference, else the whole model's.
    await loadWeights(frozen || !finished ? trainer : model, finished ? weightsPath : join(runDir, RUN_FILES.checkpoint));
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    // The trainer shares the head's layers (each holds a reference): drop it so model.dispose() frees every weight.
    if (trainer !== model) trainer.dispose();
  }
  const unfinished = finished ? undefined : `${runDir} is from an unfinished run: using its best checkpoint (${RUN_FILES.checkpoint}${await bestEpochNote(runDir)}).`;
  return { model, classes: description.classes, preprocessing: description.preprocessing, config, description, int8, ...(unfinished ? { unfinished } : {}) };
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

async function bestEpochNote(runDir: string): Promise<string> {
  const history = await readFile(join(runDir, RUN_FILES.history), 'utf8').then((t) => JSON.parse(t) as EpochLogs[], () => []);
  if (history.length === 0) return '';
  const best = history.reduce((a, b) => (b.val_loss < a.val_loss ? b : a));
  return `, epoch ${best.epoch + 1} of ${history.length} completed, val_loss ${best.val_loss.toFixed(4)}`;
}

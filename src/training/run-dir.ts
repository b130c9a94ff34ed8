import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { createRng } from '../data/random.ts';
import { UserError } from '../errors.ts';
import { weightsFileHash } from '../cache/fingerprint.ts';
import { loadWeights, readKerasFile } from '../keras/index.ts';
import type { KerasFile } from '../keras/types.ts';
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
  /** Set when the run did not finish (killed, interrupted): says the model is its best checkpoint. */
  unfinished?: string;
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

/** A run's `config.json`, or a UserError saying the folder is not a run. */
export function readRunConfig(runDir: string): Promise<Record<string, unknown>> {
  return readJson<Record<string, unknown>>(join(runDir, RUN_FILES.config), 'resolved config');
}

/**
 * Load a run directory: rebuild the stitched model from `model.json` and load `model.weights.h5`
 * (by position: it was written from this very architecture). A run whose process died has no
 * `model.weights.h5`: its frozen layers then load from the weights file it started from and the
 * rest from `best.weights.h5`, and `unfinished` says so.
 */
export async function loadRun(runDir: string): Promise<LoadedRun> {
  const description = await readJson<ModelDescription>(join(runDir, RUN_FILES.model), 'model description');
  if (description.format !== 'transferkit-model' || description.version !== 1) {
    throw new UserError(`${join(runDir, RUN_FILES.model)}: not a transferkit model description (format ${String(description.format)}, version ${String(description.version)}).`);
  }
  const config = await readJson<Record<string, unknown>>(join(runDir, RUN_FILES.config), 'resolved config');
  const weightsPath = join(runDir, RUN_FILES.modelWeights);
  const finished = await exists(weightsPath);
  if (!finished && !(await exists(join(runDir, RUN_FILES.checkpoint)))) {
    throw new UserError(`${runDir}: neither ${RUN_FILES.modelWeights} nor ${RUN_FILES.checkpoint}: the run stopped before its first epoch ended; run \`transferkit train --resume ${runDir}\` or train again.`);
  }
  // An unfinished run (killed, interrupted) rebuilds from the frozen weights it started from plus its best checkpoint.
  const frozen = finished ? undefined : await frozenWeights(runDir, description, config);
  const { model, trainer } = await buildNetwork({ plan: description.plan, inputSize: description.inputSize, classes: description.classes.length, random: createRng('load'), weights: frozen });
  // The trainer shares the head's layers (each holds a reference): drop it so model.dispose() frees every weight.
  try {
    await loadWeights(finished ? model : trainer, finished ? weightsPath : join(runDir, RUN_FILES.checkpoint));
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    if (trainer !== model) trainer.dispose();
  }
  const unfinished = finished ? undefined : `${runDir} is from an unfinished run: using its best checkpoint (${RUN_FILES.checkpoint}${await bestEpochNote(runDir)}).`;
  return { model, classes: description.classes, preprocessing: description.preprocessing, config, description, ...(unfinished ? { unfinished } : {}) };
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** The weights file the run's frozen layers came from, checked against the hash config.json recorded. */
async function frozenWeights(runDir: string, description: ModelDescription, config: Record<string, unknown>): Promise<KerasFile | undefined> {
  // Retrain checkpoints hold every layer; scratch runs have no frozen weights.
  if (description.plan.init !== 'pretrained' || description.plan.cut === null) return undefined;
  const recorded = config.weights as { path: string; sha256: string } | null;
  if (!recorded) return undefined;
  const hash = await weightsFileHash(recorded.path).catch(() => undefined);
  if (hash !== recorded.sha256) {
    throw new UserError(`${runDir} is from an unfinished run whose frozen layers come from ${recorded.path}, which is ${hash === undefined ? 'missing' : 'changed'}; restore that file or run \`transferkit train --resume ${runDir}\`.`);
  }
  return readKerasFile(recorded.path);
}

async function bestEpochNote(runDir: string): Promise<string> {
  const history = await readFile(join(runDir, RUN_FILES.history), 'utf8').then((t) => JSON.parse(t) as EpochLogs[], () => []);
  if (history.length === 0) return '';
  const best = history.reduce((a, b) => (b.val_loss < a.val_loss ? b : a));
  return `, epoch ${best.epoch + 1} of ${history.length} completed, val_loss ${best.val_loss.toFixed(4)}`;
}

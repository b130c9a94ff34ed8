import type * as tf from '@tensorflow/tfjs';
import { hashFile } from '../data/hash.ts';
import { createRng } from '../data/random.ts';
import { UserError } from '../errors.ts';
import { loadWeights, readKerasFile, type KerasFile } from '../keras/index.ts';
import type { Int8Ranges } from '../models/engines/prefix-graph.ts';
import type { Preprocessing } from '../models/preprocess.ts';
import { buildNetwork } from '../strategies/network.ts';
import { RUN_FILES } from './files.ts';
import { RunDir } from './run-dir.ts';
import type { ModelDescription, RunConfig } from './schemas.ts';

/** Everything evaluate / predict / export need from a finished run. */
export interface LoadedRun {
  /** The stitched model: image (preprocessed) -> class probabilities. */
  model: tf.LayersModel;
  classes: string[];
  preprocessing: Preprocessing;
  /** The resolved config the run was trained with (`config.json`). */
  config: RunConfig;
  description: ModelDescription;
  /** Set when the run did not finish (killed, interrupted): says the model is its best checkpoint. */
  unfinished?: string;
  /** The frozen prefix's int8 ranges when the run trained on int8 features (predict and evaluate match them). */
  int8?: Int8Ranges;
}

/** The frozen prefix's weights file a run references, checked against the sha256 training saw. */
async function frozenWeights(ref: { path: string; sha256: string }, modelJson: string): Promise<KerasFile> {
  const sha256 = await hashFile(ref.path).catch((err: NodeJS.ErrnoException) => {
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
  const run = new RunDir(runDir);
  const description = await run.read('model');
  const config = await run.read('config');
  const finished = await run.has('modelWeights');
  if (!finished && !(await run.has('checkpoint'))) {
    throw new UserError(`${runDir}: neither ${RUN_FILES.modelWeights} nor ${RUN_FILES.checkpoint}: the run stopped before its first epoch ended; run \`transferkit train --resume ${runDir}\` or train again.`);
  }
  const int8 = config.precision?.precision === 'int8' ? (await run.read('calibration')).ranges : undefined;
  const frozen = description.frozen ? await frozenWeights(description.frozen, run.path('model')) : undefined;
  // The seed only fills weights that the files then overwrite.
  const { model, trainer } = await buildNetwork({ plan: description.plan, inputSize: description.inputSize, classes: description.classes.length, weights: frozen, random: createRng('load') });
  try {
    // The checkpoint holds the trainer's layers; model.weights.h5 too with a frozen reference, else the whole model's.
    await loadWeights(frozen || !finished ? trainer : model, run.path(finished ? 'modelWeights' : 'checkpoint'));
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    // The trainer shares the head's layers (each holds a reference): drop it so model.dispose() frees every weight.
    if (trainer !== model) trainer.dispose();
  }
  const unfinished = finished ? undefined : `${runDir} is from an unfinished run: using its best checkpoint (${RUN_FILES.checkpoint}${await bestEpochNote(run)}).`;
  return { model, classes: description.classes, preprocessing: description.preprocessing, config, description, int8, ...(unfinished ? { unfinished } : {}) };
}

async function bestEpochNote(run: RunDir): Promise<string> {
  // The note is a courtesy: an unreadable history leaves it out rather than failing the load.
  const history = (await run.readIfPresent('history').catch(() => undefined)) ?? [];
  if (history.length === 0) return '';
  const best = history.reduce((a, b) => (b.val_loss < a.val_loss ? b : a));
  return `, epoch ${best.epoch + 1} of ${history.length} completed, val_loss ${best.val_loss.toFixed(4)}`;
}

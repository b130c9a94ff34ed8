import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { nameKeras3Layers } from './keras3-paths.ts';
import { kerasOrderedVariables, leafLayers } from './model-weights.ts';
import { preprocessWeightsForLoading } from './preprocess-weights.ts';
import { readKerasFile } from './read.ts';
import type { KerasFile, LayerWeights, WeightTensor } from './types.ts';

type Layer = tf.layers.Layer;

/** Options for `loadWeights`, named after Keras's `load_weights` arguments. */
export interface LoadWeightsOptions {
  /**
   * Match layers by name instead of by position; file layers absent from the model are ignored and
   * model layers absent from the file keep their weights. Default false (Keras `by_name=False`).
   * Keras 3 files are always matched by name: Keras 3 itself matches them by path, and HDF5 keeps no
   * layer order for them.
   */
  byName?: boolean;
  /** With `byName`: skip (and report) layers whose weight count or shapes differ. Default false. */
  skipMismatch?: boolean;
}

/** What `loadWeights` did. */
export interface LoadReport {
  file: string;
  format: KerasFile['format'];
  /** Model layers that received weights, with the file layer they came from. */
  loaded: { layer: string; from: string }[];
  /** Layers left unchanged, and why (only with `byName`/`skipMismatch`). */
  skipped: { layer: string; reason: string }[];
}

interface Pair {
  layer: Layer;
  stored: LayerWeights;
}

const hasWeights = (l: { weights: unknown[] }) => l.weights.length > 0;
const fmt = (shape: readonly (number | null)[]) => `[${shape.join(', ')}]`;

/** Keras's default: the i-th file layer with weights goes to the i-th model layer with weights. */
function pairByPosition(model: tf.LayersModel, file: KerasFile): Pair[] {
  const stored = file.layers.filter(hasWeights);
  const layers = model.layers.filter(hasWeights);
  if (stored.length !== layers.length) {
    throw new UserError(
      `${file.path}: the file has ${stored.length} layers with weights but the model has ${layers.length}; ` +
        `load a file saved from this architecture, or pass byName to match layers by name`,
    );
  }
  return layers.map((layer, i) => ({ layer, stored: stored[i]! }));
}

function pairByName(model: tf.LayersModel, file: KerasFile, strict: boolean, skipped: LoadReport['skipped']): Pair[] {
  const layers = file.format === 'legacy-weights' || file.format === 'legacy-model' ? model.layers : leafLayers(model);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const pairs: Pair[] = [];
  for (const stored of file.layers.filter(hasWeights)) {
    const layer = byName.get(stored.name);
    if (layer) pairs.push({ layer, stored });
    else if (strict) throw new UserError(`${file.path}: layer '${stored.path ?? stored.name}' of the file is not in the model`);
    else skipped.push({ layer: stored.path ?? stored.name, reason: 'not in the model' });
  }
  const matched = new Set(pairs.map((p) => p.layer));
  const missing = layers.filter((l) => hasWeights(l) && !matched.has(l));
  if (strict && missing.length > 0) {
    throw new UserError(`${file.path}: the file has no weights for model layer(s) ${missing.map((l) => `'${l.name}'`).join(', ')}`);
  }
  return pairs;
}

/** Why `stored` cannot go into `layer`, or undefined when it fits. */
function mismatch(layer: Layer, stored: LayerWeights, weights: WeightTensor[]): string | undefined {
  const variables = kerasOrderedVariables(layer);
  if (variables.length !== weights.length) {
    return `model layer '${layer.name}' expects ${variables.length} weights but file layer '${stored.name}' has ${weights.length}`;
  }
  for (const [i, v] of variables.entries()) {
    const w = weights[i]!;
    if (v.shape.length !== w.shape.length || v.shape.some((d, j) => d !== w.shape[j])) {
      return (
        `layer '${layer.name}' weight ${i} ('${v.originalName}'): the model expects shape ${fmt(v.shape)} ` +
        `but file layer '${stored.name}' has ${fmt(w.shape)} ('${w.name}')`
      );
    }
  }
  return undefined;
}

/** Copy into the layer's variables; `layer.weights` is trainable-then-non-trainable, i.e. Keras order. */
function assign(layer: Layer, weights: WeightTensor[]): void {
  const tensors = weights.map((w) => tf.tensor(w.data, w.shape, 'float32'));
  try {
    layer.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/**
 * Load Keras weights into a tfjs model with Keras's `load_weights` semantics: by position over the
 * layers that have weights (counts must match), or `byName`, optionally `skipMismatch`. Theano and
 * Keras 1 layouts are converted (see `preprocessWeightsForLoading`). Every mismatch error names the
 * file, the layer, and the expected and found shapes. Nothing is assigned unless every layer fits
 * (or was skipped), so a failed load leaves the model as it was.
 */
export async function loadWeights(
  model: tf.LayersModel,
  source: string | KerasFile,
  opts: LoadWeightsOptions = {},
): Promise<LoadReport> {
  const { byName = false, skipMismatch = false } = opts;
  if (skipMismatch && !byName) {
    throw new UserError('skipMismatch can only be used together with byName (as in Keras load_weights)');
  }
  // Keras 3 files name layers by class and position (`conv2d_1`); map them to this model's layers first.
  const file = nameKeras3Layers(typeof source === 'string' ? await readKerasFile(source) : source, model);
  const keras3 = file.format === 'keras3-weights' || file.format === 'keras-archive';
  const report: LoadReport = { file: file.path, format: file.format, loaded: [], skipped: [] };
  const pairs = byName || keras3 ? pairByName(model, file, !byName, report.skipped) : pairByPosition(model, file);

  const ready: { layer: Layer; weights: WeightTensor[]; from: string }[] = [];
  for (const { layer, stored } of pairs) {
    const weights = preprocessWeightsForLoading(layer, stored.weights, file);
    const problem = mismatch(layer, stored, weights);
    if (problem === undefined) ready.push({ layer, weights, from: stored.name });
    else if (skipMismatch) report.skipped.push({ layer: layer.name, reason: problem });
    else throw new UserError(`${file.path}: ${problem}`);
  }
  for (const { layer, weights, from } of ready) {
    assign(layer, weights);
    report.loaded.push({ layer: layer.name, from });
  }
  return report;
}

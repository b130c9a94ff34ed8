import { UserError } from '../errors.ts';
import { RANDOM_INIT_ATTR, writeString, writeStringList } from './h5-attrs.ts';
import { ensureGroup, type Group } from './h5.ts';
import type { LayerWeights } from './types.ts';
import { writeHdf5Atomic } from './write-hdf5.ts';

/** Options for `writeLegacyWeights`. */
export interface WriteLegacyOptions {
  /**
   * The `keras_version` attr. Default '2.4.0': any 2.x makes Keras 2 / tf.keras skip the Keras 1
   * conversions in `preprocess_weights_for_loading`, and Keras 3's legacy loader accepts it.
   */
  kerasVersion?: string;
  /** The `backend` attr. Default 'tensorflow' (kernels are channels-last, not spatially flipped). */
  backend?: string;
}

export const LEGACY_DEFAULTS: Required<WriteLegacyOptions> = { kerasVersion: '2.4.0', backend: 'tensorflow' };

/** Names that would make an ambiguous or unloadable file are programming errors upstream; refuse them early. */
export function checkLayers(path: string, layers: LayerWeights[]): void {
  const seen = new Set<string>();
  for (const layer of layers) {
    if (!layer.name || layer.name.includes('/') || seen.has(layer.name)) {
      throw new UserError(`${path}: cannot write layer name '${layer.name}' (empty, contains '/', or duplicated)`);
    }
    seen.add(layer.name);
    const weightNames = new Set<string>();
    for (const w of layer.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1);
      if (!w.name || weightNames.has(w.name)) {
        throw new UserError(`${path}: layer '${layer.name}' has an empty or duplicated weight name '${w.name}'`);
      }
      if (count !== w.data.length) {
        throw new UserError(
          `${path}: layer '${layer.name}' weight '${w.name}' has shape [${w.shape.join(', ')}] but ${w.data.length} values`,
        );
      }
      weightNames.add(w.name);
    }
  }
}

/**
 * The `save_weights` layout inside `root` (a file, or a full-model file's `model_weights` group):
 * attrs `layer_names`, `backend`, `keras_version`, one group per layer with attr `weight_names`.
 * `layers` must have passed `checkLayers`.
 */
export function writeWeightGroups(root: Group, layers: LayerWeights[], opts: Required<WriteLegacyOptions>): void {
  writeStringList(root, 'layer_names', layers.map((l) => l.name));
  writeString(root, 'backend', opts.backend);
  writeString(root, 'keras_version', opts.kerasVersion);
  for (const layer of layers) {
    const group = root.create_group(layer.name);
    writeStringList(group, 'weight_names', layer.weights.map((w) => w.name));
    for (const w of layer.weights) {
      const slash = w.name.lastIndexOf('/');
      const parent = slash < 0 ? group : ensureGroup(group, w.name.slice(0, slash));
      parent.create_dataset({ name: w.name.slice(slash + 1), data: w.data, shape: w.shape, dtype: '<f' });
    }
  }
}

/**
 * Write weights in the layout Keras 2 `save_weights` produces, so Python `model.load_weights` reads
 * them: root attrs `layer_names`, `backend`, `keras_version` (fixed-length byte strings), one group
 * per layer (weightless layers too) with attr `weight_names`, float32 datasets at
 * `<layer>/<weight name>` (e.g. `block1_conv1/block1_conv1/kernel:0`). Atomic: temp file + rename.
 * `randomInit` writes the random-init marker (see `KerasFile.randomInit`); Keras ignores it.
 */
export async function writeLegacyWeights(path: string, layers: LayerWeights[], opts: WriteLegacyOptions & { randomInit?: string } = {}): Promise<void> {
  const { kerasVersion, backend } = { ...LEGACY_DEFAULTS, ...opts };
  checkLayers(path, layers);
  await writeHdf5Atomic(path, (h5) => {
    writeWeightGroups(h5, layers, { kerasVersion, backend });
    if (opts.randomInit !== undefined) writeString(h5, RANDOM_INIT_ATTR, opts.randomInit);
  });
}

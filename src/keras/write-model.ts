import type * as tf from '@tensorflow/tfjs';
import { writeString } from './h5-attrs.ts';
import { modelWeights } from './model-weights.ts';
import { writeHdf5Atomic } from './write-hdf5.ts';
import { checkLayers, LEGACY_DEFAULTS, writeWeightGroups, type WriteLegacyOptions } from './write-legacy.ts';

/** Options for `saveKerasModel`; the attrs Keras reads back. */
export type SaveKerasModelOptions = WriteLegacyOptions;

/**
 * The Keras 2 model config of a tfjs model. tfjs-layers serialises in Keras's own JSON schema
 * (snake_case fields, `[layer, node, tensor, kwargs]` inbound nodes); only the version stamps it
 * adds are replaced, so Keras does not mistake the file for something else.
 */
function kerasModelConfig(model: tf.LayersModel, opts: Required<WriteLegacyOptions>): string {
  const json = model.toJSON(undefined, false) as unknown as ConfigEntry;
  return JSON.stringify({ class_name: json.class_name, config: withInputLayers(json).config, keras_version: opts.kerasVersion, backend: opts.backend });
}

interface ConfigEntry {
  class_name: string;
  config: { name?: string; layers?: ConfigEntry[]; batch_input_shape?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * tfjs puts a Sequential's input shape on its first layer (`batch_input_shape`); Keras 2.4+ writes
 * an explicit InputLayer instead, and Keras 3's legacy loader misreads the tfjs form (one extra
 * batch axis). Rewrite Sequentials, nested ones too, the way tf-keras saves them.
 */
function withInputLayers(entry: ConfigEntry): ConfigEntry {
  const layers = entry.config.layers?.map(withInputLayers);
  if (!layers) return entry;
  const first = layers[0];
  if (entry.class_name !== 'Sequential' || !first || first.class_name === 'InputLayer' || !first.config.batch_input_shape) {
    return { ...entry, config: { ...entry.config, layers } };
  }
  const { batch_input_shape, ...firstConfig } = first.config;
  const input: ConfigEntry = {
    class_name: 'InputLayer',
    config: { batch_input_shape, dtype: 'float32', sparse: false, ragged: false, name: `${first.config.name ?? 'sequential'}_input` },
  };
  return { ...entry, config: { ...entry.config, layers: [input, { ...first, config: firstConfig }, ...layers.slice(1)] } };
}

/**
 * Save `model` as a Keras 2 full-model `.h5` (what tf-keras `model.save('x.h5')` writes): root attrs
 * `model_config`, `keras_version`, `backend`, and a `model_weights` group in the `save_weights`
 * layout. tf-keras and Keras 3 `load_model` load it. No optimizer state or training config is
 * stored: the file is for inference and further transfer learning. Atomic: temp file + rename.
 */
export async function saveKerasModel(model: tf.LayersModel, path: string, opts: SaveKerasModelOptions = {}): Promise<void> {
  const resolved = { ...LEGACY_DEFAULTS, ...opts };
  const config = kerasModelConfig(model, resolved);
  const layers = modelWeights(model);
  checkLayers(path, layers);
  await writeHdf5Atomic(path, (h5) => {
    writeString(h5, 'keras_version', resolved.kerasVersion);
    writeString(h5, 'backend', resolved.backend);
    writeString(h5, 'model_config', config);
    writeWeightGroups(h5.create_group('model_weights'), layers, resolved);
  });
}

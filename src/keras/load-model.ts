import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { loadWeights } from './load-weights.ts';
import { modelFromKerasConfig } from './model-config.ts';
import { readKerasFile } from './read.ts';

/**
 * Load a whole Keras model — a legacy full-model `.h5` (Keras 1/2, tf-keras, Keras 3 `save('x.h5')`)
 * or a Keras 3 `.keras` archive — as a tfjs model: architecture from the file's config, weights the
 * way Keras's `load_model` assigns them. No Python and no converter; unsupported layers are refused
 * by name. Weights-only files hold no architecture: build the model and use `loadWeights` instead.
 */
export async function loadKerasModel(path: string): Promise<tf.LayersModel> {
  const file = await readKerasFile(path);
  if (file.modelConfig === undefined) {
    throw new UserError(
      `${path}: a weights-only file (${file.format}) holds no architecture; build the model (e.g. vgg16()) ` +
        'and call loadWeights(model, path), or pass a full-model .h5 / .keras file',
    );
  }
  const model = modelFromKerasConfig(file.modelConfig, { source: path });
  try {
    await loadWeights(model, file);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

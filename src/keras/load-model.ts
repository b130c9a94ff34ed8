import * as tf from '@tensorflow/tfjs';
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
  // loadWeights fills every layer or fails (and the model is dropped), so random kernels would be wasted work.
  const model = modelFromKerasConfig(file.modelConfig, { source: path, kernelInit: 'zeros' });
  try {
    await loadWeights(model, file);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/**
 * Run `model` once on zeros of its input shape (batch 1) and return each output's shape: the
 * cheapest proof that a loaded model is wired correctly. Inputs with unknown sizes are refused.
 */
export function runOnZeros(model: tf.LayersModel): number[][] {
  const shapes = model.inputs.map((input) =>
    input.shape.map((d, i) => {
      if (i === 0) return 1;
      if (d === null) throw new UserError(`model input '${input.name}' has an unknown size in axis ${i} (shape [${input.shape.join(', ')}]); cannot run it on zeros`);
      return d;
    }),
  );
  const xs = shapes.map((s) => tf.zeros(s));
  const ys = model.predict(xs.length === 1 ? xs[0]! : xs);
  const outputs = Array.isArray(ys) ? ys : [ys];
  const result = outputs.map((y) => [...y.shape]);
  tf.dispose([...xs, ...outputs]);
  return result;
}

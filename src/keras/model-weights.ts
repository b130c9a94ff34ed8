import * as tf from '@tensorflow/tfjs';
import type { LayerWeights } from './types.ts';

type Layer = tf.layers.Layer;
type LayerVariable = Layer['weights'][number];

/**
 * A layer's variables in the order Keras 2 saves and loads them (`_legacy_weights`: trainable then
 * non-trainable). Conv2D/Dense: kernel, bias; BatchNormalization: gamma, beta, moving_mean,
 * moving_variance. A nested model is one layer holding all its sublayers' variables, as in Keras 2.
 */
export function kerasOrderedVariables(layer: Layer): LayerVariable[] {
  return [...layer.trainableWeights, ...layer.nonTrainableWeights];
}

/** `block1_conv1/kernel` → `block1_conv1/kernel:0`, the TF variable name Keras 2 files store. */
function kerasWeightName(variable: LayerVariable): string {
  return `${variable.originalName}:0`;
}

/**
 * A model's weights as `writeLegacyWeights` wants them: every layer of `model.layers` (weightless ones
 * too; Keras lists them in `layer_names`), nested models kept as one layer like Keras 2
 * `save_weights`, weights in Keras order with Keras-style names (`fc1/kernel:0`). Copies the data.
 */
export function modelWeights(model: tf.LayersModel): LayerWeights[] {
  return model.layers.map((layer) => ({
    name: layer.name,
    weights: kerasOrderedVariables(layer).map((v) => ({
      name: kerasWeightName(v),
      shape: [...v.shape] as number[],
      data: Float32Array.from(v.read().dataSync() as Float32Array),
    })),
  }));
}

/** The model's layers with nested models expanded into their own layers (Keras 3 saves them that way). */
export function leafLayers(model: tf.LayersModel): Layer[] {
  return model.layers.flatMap((layer) => (layer instanceof tf.LayersModel ? leafLayers(layer) : [layer]));
}

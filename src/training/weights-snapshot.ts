import * as tf from '@tensorflow/tfjs';

/** A copy of every weight of a model (trainable or not, e.g. BatchNorm statistics) in JS memory. */
export type WeightsSnapshot = Float32Array[];

/**
 * Weights in layer order. `model.weights` lists trainable weights first, so its order changes when a
 * phase freezes or unfreezes layers; layer order does not (a snapshot taken during a warm-up must
 * restore into the fine-tuning phase and into a freshly built model on resume).
 */
const weightsInLayerOrder = (model: tf.LayersModel): tf.LayerVariable[] => model.layers.flatMap((l) => l.weights);

/** Copy a model's weights out of the backend (kept in JS memory: wasm's heap is capped at 4 GB). */
export function snapshotWeights(model: tf.LayersModel): WeightsSnapshot {
  return weightsInLayerOrder(model).map((w) => w.read().dataSync() as Float32Array).map((d) => d.slice());
}

/** Put a snapshot back into the model it was taken from (or one of the same architecture). */
export function restoreWeights(model: tf.LayersModel, snapshot: WeightsSnapshot): void {
  const vars = weightsInLayerOrder(model);
  if (vars.length !== snapshot.length) throw new Error(`weights snapshot holds ${snapshot.length} arrays; the model has ${vars.length} weights`);
  vars.forEach((w, i) => {
    const value = tf.tensor(snapshot[i]!, w.read().shape);
    w.write(value);
    value.dispose();
  });
}

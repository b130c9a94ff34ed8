import * as tf from '@tensorflow/tfjs';

/** A copy of every weight of a model (trainable or not, e.g. BatchNorm statistics) in JS memory. */
export type WeightsSnapshot = Float32Array[];

/** Copy a model's weights out of the backend (kept in JS memory: wasm's heap is capped at 4 GB). */
export function snapshotWeights(model: tf.LayersModel): WeightsSnapshot {
  return model.weights.map((w) => w.read().dataSync() as Float32Array).map((d) => d.slice());
}

/** Put a snapshot back into the model it was taken from. */
export function restoreWeights(model: tf.LayersModel, snapshot: WeightsSnapshot): void {
  const tensors = model.weights.map((w, i) => tf.tensor(snapshot[i]!, w.read().shape));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

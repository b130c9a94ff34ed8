import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from '../strategies/types.ts';
import type { StateValue } from '../run/resume-point.ts';

/** A tfjs optimiser for a phase (SGD with momentum when `momentum` > 0). */
export function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.name) {
    case 'adam':
      return tf.train.adam(spec.lr);
    case 'rmsprop':
      return tf.train.rmsprop(spec.lr);
    case 'sgd':
      return spec.momentum > 0 ? tf.train.momentum(spec.lr, spec.momentum) : tf.train.sgd(spec.lr);
  }
}

/**
 * Change an optimiser's learning rate in place. Adam and RMSProp read `learningRate` at every
 * step; SGD and momentum cache it in a scalar that `setLearningRate` rebuilds.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as tf.Optimizer & { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/**
 * Free an optimiser's state. tfjs's MomentumOptimizer.dispose skips the learning-rate scalar its
 * SGD parent keeps (`c`), leaking one tensor per optimiser; free it here.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as tf.Optimizer & { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}

type NamedState = { name: string; dtype: tf.DataType; shape: number[]; data: Float32Array };
/** Adam keeps beta1^t and beta2^t in variables that `setWeights` recomputes with pow; resuming restores them exactly. */
const EXTRA_VARIABLES = ['accBeta1', 'accBeta2'] as const;

/** Everything an optimiser carries between steps (iterations, moments), copied out for `train --resume`. */
export async function optimizerState(optimizer: tf.Optimizer): Promise<StateValue> {
  const named = await optimizer.getWeights();
  const weights: NamedState[] = [];
  for (const { name, tensor } of named) {
    weights.push({ name, dtype: tensor.dtype, shape: tensor.shape, data: Float32Array.from(await tensor.data()) });
    if (!(tensor instanceof tf.Variable)) tensor.dispose(); // `iter` is a fresh scalar; the moments are the optimiser's own
  }
  const o = optimizer as unknown as Record<string, tf.Variable | undefined>;
  const extra = Object.fromEntries(EXTRA_VARIABLES.filter((k) => o[k] instanceof tf.Variable).map((k) => [k, Float32Array.from(o[k]!.dataSync())]));
  return { weights, extra } as unknown as StateValue;
}

/** Put `optimizerState`'s copy back into a fresh optimiser of the same kind. */
export async function restoreOptimizerState(optimizer: tf.Optimizer, state: StateValue): Promise<void> {
  const { weights, extra } = state as unknown as { weights: NamedState[]; extra: Record<string, Float32Array> };
  const named = weights.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape, w.dtype) }));
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  const o = optimizer as unknown as Record<string, tf.Variable | undefined>;
  for (const [k, v] of Object.entries(extra)) tf.tidy(() => o[k]!.assign(tf.tensor(v, o[k]!.shape)));
}

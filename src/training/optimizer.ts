import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from '../strategies/types.ts';

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

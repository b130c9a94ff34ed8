import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/random.ts';
import type { HeadLayerSpec } from './head.ts';
import { seedFrom } from './seeds.ts';

/** A tfjs layer for one head spec; kernels get seeded glorot-uniform init so runs reproduce. */
export function headLayer(spec: HeadLayerSpec, classes: number, random: Rng): tf.layers.Layer {
  switch (spec.kind) {
    case 'gap':
      return tf.layers.globalAveragePooling2d({ name: spec.name });
    case 'flatten':
      return tf.layers.flatten({ name: spec.name });
    case 'dense':
      return tf.layers.dense({
        name: spec.name,
        units: spec.units === 'classes' ? classes : spec.units,
        activation: spec.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seedFrom(random) }),
      });
    case 'dropout':
      return tf.layers.dropout({ name: spec.name, rate: spec.rate });
    case 'batchnorm':
      // Keras defaults (momentum 0.99, epsilon 1e-3), which are also tfjs's.
      return tf.layers.batchNormalization({ name: spec.name });
  }
}

/**
 * The frozen prefix on the active tfjs backend (wasm, cpu, or tfjs-node-gpu: the only engine for
 * GPU users until the ONNX CUDA path is verified).
 */
import * as tf from '@tensorflow/tfjs';
import type { PrefixEngine } from './types.ts';

/** Wraps a built prefix `model` (NHWC images in); the engine owns and disposes it. */
export function createTfjsEngine(model: tf.LayersModel, inputSize: number, outputShape: readonly number[]): PrefixEngine {
  const pixels = inputSize * inputSize * 3;
  return {
    name: `tfjs-${tf.getBackend()}`,
    engine: 'tfjs',
    outputShape,
    async run(batch, n) {
      const y = tf.tidy(() => model.predict(tf.tensor4d(batch.subarray(0, n * pixels), [n, inputSize, inputSize, 3])) as tf.Tensor);
      try {
        return (await y.data()) as Float32Array;
      } finally {
        y.dispose();
      }
    },
    async dispose() {
      model.dispose();
    },
  };
}

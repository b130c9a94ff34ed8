/**
 * The frozen prefix on the active tfjs backend (wasm, cpu, or tfjs-node-gpu: the only engine for
 * GPU users until the ONNX CUDA path is verified).
 */
import * as tf from '@tensorflow/tfjs';
import type { PrefixEngine } from './types.ts';

/**
 * Wraps a built prefix `model` (NHWC images in); the engine owns and disposes it. With `cuts`, the
 * model answers at each named layer from one forward pass (default: its own output).
 */
export function createTfjsEngine(model: tf.LayersModel, inputSize: number, cuts?: readonly string[]): PrefixEngine {
  const pixels = inputSize * inputSize * 3;
  const names = cuts ?? [model.layers.at(-1)!.name];
  const outputs = names.map((c) => model.getLayer(c).output as tf.SymbolicTensor);
  const multi = tf.model({ inputs: model.inputs, outputs });
  const outputShapes = outputs.map((o) => o.shape.slice(1) as number[]);
  const runAll = async (batch: Float32Array, n: number): Promise<Float32Array[]> => {
    const ys = tf.tidy(() => {
      const y = multi.predict(tf.tensor4d(batch.subarray(0, n * pixels), [n, inputSize, inputSize, 3]));
      return Array.isArray(y) ? y : [y];
    });
    try {
      return (await Promise.all(ys.map((y) => y.data()))) as Float32Array[];
    } finally {
      tf.dispose(ys);
    }
  };
  return {
    name: `tfjs-${tf.getBackend()}`,
    engine: 'tfjs',
    precision: 'fp32',
    cuts: names,
    outputShape: outputShapes[0]!,
    outputShapes,
    runAll,
    async run(batch, n) {
      return (await runAll(batch, n))[0]!;
    },
    async dispose() {
      model.dispose();
    },
  };
}

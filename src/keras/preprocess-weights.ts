import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import type { KerasFile, WeightTensor } from './types.ts';

/** Strides of a row-major array. */
function strides(shape: number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
}

/** `np.transpose(x, perm)` for a row-major Float32Array. */
export function transpose(w: WeightTensor, perm: number[]): WeightTensor {
  const shape = perm.map((p) => w.shape[p]!);
  const src = strides(w.shape);
  const dst = strides(shape);
  const out = new Float32Array(w.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let rem = i;
    let from = 0;
    for (let d = 0; d < shape.length; d++) {
      idx[d] = Math.floor(rem / dst[d]!);
      rem -= idx[d]! * dst[d]!;
      from += idx[d]! * src[perm[d]!]!;
    }
    out[i] = w.data[from]!;
  }
  return { name: w.name, shape, data: out };
}

/**
 * Keras's `conv_utils.convert_kernel`: reverse every spatial axis of a channels-last kernel
 * (all but the last two). Theano's conv is a true convolution, TensorFlow's a correlation.
 */
export function flipSpatial(w: WeightTensor): WeightTensor {
  const spatial = w.shape.length - 2;
  const st = strides(w.shape);
  const out = new Float32Array(w.data.length);
  for (let i = 0; i < out.length; i++) {
    let rem = i;
    let from = 0;
    for (let d = 0; d < w.shape.length; d++) {
      const coord = Math.floor(rem / st[d]!);
      rem -= coord * st[d]!;
      from += (d < spatial ? w.shape[d]! - 1 - coord : coord) * st[d]!;
    }
    out[i] = w.data[from]!;
  }
  return { name: w.name, shape: [...w.shape], data: out };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Keras 1 theano-ordered kernels, per layer class: the permutation Keras 2 applies to reach channels-last. */
const KERAS1_KERNEL_PERM: Record<string, number[]> = {
  Conv2D: [2, 3, 1, 0], // (filters, in, kh, kw) → (kh, kw, in, filters)
  Conv2DTranspose: [2, 3, 0, 1], // (in, filters, kh, kw) → (kh, kw, filters, in)
  Conv3D: [2, 3, 4, 1, 0], // (filters, in, d1, d2, d3) → (d1, d2, d3, in, filters)
};

const CONV_LAYERS = new Set(['Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose']);

/** Keras 1 Conv1D kernels were 4-D: (filters, in, length, 1) under theano order, (length, 1, in, filters) under tf. */
function keras1Conv1D(kernel: WeightTensor, expected: number[]): WeightTensor {
  let w = kernel;
  if (w.shape.length !== 4) return w;
  if (!(w.shape[1] === 1 && w.shape[0] === expected[0])) w = transpose(w, [2, 3, 1, 0]);
  return { name: w.name, shape: [w.shape[0]!, w.shape[2]!, w.shape[3]!], data: w.data };
}

/**
 * Bring a file's weights for one layer into the layout our (channels-last, TensorFlow-convention)
 * tfjs layer holds, following Keras 2's `preprocess_weights_for_loading`:
 * - Keras 1 files (no `keras_version`, or `1.x`) stored theano-ordered conv kernels; they are
 *   transposed to channels-last when the stored shape is the theano one and the model expects the
 *   transposed shape (Keras does this for channels_first layers; ours are always channels-last).
 * - `backend` = `theano`: conv kernels are spatially flipped (`convert_kernel`).
 * - Refused, with the Keras remedy: a theano file's Dense right after a Flatten of a feature map.
 *   Its rows are in the original model's flatten order, which a weights file does not record
 *   (channels_first in practically all theano models); Keras loads them silently wrong, we refuse.
 * RNN gate reordering and CuDNN conversions are not implemented (VGG-family models have no RNNs).
 */
export function preprocessWeightsForLoading(layer: tf.layers.Layer, weights: WeightTensor[], file: KerasFile): WeightTensor[] {
  const className = layer.getClassName();
  const expected = layer.weights[0]?.shape as number[] | undefined;
  const keras1 = file.kerasVersion === undefined || /^1(\.|$)/.test(file.kerasVersion);
  const theano = file.backend === 'theano';
  if (theano && className === 'Dense') refuseDenseAfterFlatten(layer, file);
  if (!CONV_LAYERS.has(className) || !expected || weights.length === 0) return weights;
  let [kernel, ...rest] = weights as [WeightTensor, ...WeightTensor[]];
  if (keras1) {
    const perm = KERAS1_KERNEL_PERM[className];
    if (className === 'Conv1D') kernel = keras1Conv1D(kernel, expected);
    else if (perm && !sameShape(kernel.shape, expected) && sameShape(perm.map((p) => kernel.shape[p]!), expected)) {
      kernel = transpose(kernel, perm);
    }
  }
  if (theano) kernel = flipSpatial(kernel);
  return [kernel, ...rest];
}

function refuseDenseAfterFlatten(layer: tf.layers.Layer, file: KerasFile): void {
  const inbound = layer.inboundNodes[0]?.inboundLayers[0];
  if (!inbound || inbound.getClassName() !== 'Flatten') return;
  const shape = (inbound.inboundNodes[0]?.inputShapes[0] ?? []) as (number | null)[];
  const dims = shape.slice(1).map((d) => d ?? 0);
  const channels = dims.at(-1) ?? 1;
  const spatial = dims.slice(0, -1).reduce((a, b) => a * b, 1);
  if (dims.length >= 2 && channels > 1 && spatial > 1) {
    throw new UserError(
      `${file.path}: layer '${layer.name}' is a Dense after Flatten of a ${dims.join('x')} feature map, and the file ` +
        `comes from the theano backend, whose flatten order (channels_first) differs from ours; convert it in Keras ` +
        `(keras.utils.convert_dense_weights_data_format, then save_weights under TensorFlow) and load that file`,
    );
  }
}

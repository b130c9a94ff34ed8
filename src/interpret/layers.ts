/**
 * Walking a model layer by layer. VGG16 and every stitched transferkit model (VGG16 prefix + head)
 * are simple chains, so running the layers eagerly one after another reaches any layer's output
 * at any input size (the model's own input shape does not bind it), and gradients flow through.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';

/** The model's layers after its input layer, checked to form a single chain. */
export function chainLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  layers.forEach((layer, i) => {
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    const expected = i === 0 ? undefined : layers[i - 1];
    const ok = inbound.length === 1 && (expected === undefined ? inbound[0]?.getClassName() === 'InputLayer' : inbound[0] === expected);
    if (!ok) {
      throw new UserError(`Model "${model.name}" is not a single chain of layers at "${layer.name}"; visualize supports VGG16 and transferkit runs (sequential stacks).`);
    }
  });
  return layers;
}

/** The chain's layers up to and including `name`. */
export function layersUpTo(model: tf.LayersModel, name: string): tf.layers.Layer[] {
  const layers = chainLayers(model);
  const end = layers.findIndex((l) => l.name === name);
  if (end < 0) throw new UserError(`Model "${model.name}" has no layer "${name}"; expected one of: ${layers.map((l) => l.name).join(', ')}.`);
  return layers.slice(0, end + 1);
}

/** Run `x` through `layers` in inference mode (dropout off). */
export function applyLayers(layers: readonly tf.layers.Layer[], x: tf.Tensor): tf.Tensor {
  return layers.reduce((h, layer) => layer.apply(h, { training: false }) as tf.Tensor, x);
}

/** A Conv2D layer's kernel `[kh, kw, in, out]`, bias and config, or a UserError naming the layer. */
export interface ConvParts {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D | null;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilation: [number, number];
  activation: string;
}

const pair = (v: unknown, fallback: number): [number, number] =>
  Array.isArray(v) ? [Number(v[0] ?? fallback), Number(v[1] ?? v[0] ?? fallback)] : [Number(v ?? fallback), Number(v ?? fallback)];

/** The weights and settings of a Conv2D layer (the tensors are the layer's own: do not dispose). */
export function convParts(layer: tf.layers.Layer): ConvParts {
  if (layer.getClassName() !== 'Conv2D') {
    throw new UserError(`Layer "${layer.name}" is a ${layer.getClassName()}, not a Conv2D; pick a convolution layer such as block1_conv1.`);
  }
  const config = layer.getConfig();
  const [kernel, bias] = layer.getWeights();
  return {
    kernel: kernel as tf.Tensor4D,
    bias: (bias as tf.Tensor1D | undefined) ?? null,
    strides: pair(config.strides, 1),
    padding: config.padding === 'valid' ? 'valid' : 'same',
    dilation: pair(config.dilationRate, 1),
    activation: String(config.activation ?? 'linear'),
  };
}

/** The convolution of `x` with only the output channels `filters`, before the activation. */
export function convSelected(x: tf.Tensor4D, parts: ConvParts, filters: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const index = tf.tensor1d([...filters], 'int32');
    const y = tf.conv2d(x, tf.gather(parts.kernel, index, 3), parts.strides, parts.padding, 'NHWC', parts.dilation);
    return parts.bias === null ? y : tf.add(y, tf.gather(parts.bias, index));
  });
}

/** Apply a Keras activation by name (`relu`, `linear`, ...). */
export function activate(x: tf.Tensor, activation: string): tf.Tensor {
  return tf.layers.activation({ activation: activation as 'relu' }).apply(x) as tf.Tensor;
}

/** Check user-chosen channel indices against a layer's count, naming the option in the error. */
export function checkIndices(indices: readonly number[], count: number, what: string, layer: string): readonly number[] {
  const bad = indices.filter((i) => !Number.isInteger(i) || i < 0 || i >= count);
  if (bad.length > 0) throw new UserError(`Layer "${layer}" has ${count} ${what} (0-${count - 1}); got ${bad.join(', ')}. Pick indices in that range.`);
  if (indices.length === 0) throw new UserError(`No ${what} of layer "${layer}" selected; give at least one index (e.g. 0-15).`);
  return indices;
}

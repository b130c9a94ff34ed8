import { writeLegacyWeights } from '../keras/index.ts';
import type { LayerWeights, WeightTensor } from '../keras/types.ts';
import { vgg16Layers, vgg16WeightShapes } from './vgg16-spec.ts';

/** What `initWeights` generates. */
export interface InitWeightsOptions {
  /** Include fc1, fc2 and predictions (the ~528 MB file). Default: true. */
  includeTop?: boolean;
  /** PRNG seed; the same seed gives byte-identical weights. Default: 0. */
  seed?: number;
}

export const INIT_WEIGHTS_DEFAULTS: Required<InitWeightsOptions> = { includeTop: true, seed: 0 };

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG; plenty for initialisation, and reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of `seed:layer`, so each layer's stream depends only on the seed and its name. */
function layerSeed(seed: number, layer: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed}:${layer}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/**
 * Keras's glorot-uniform limit sqrt(6 / (fan_in + fan_out)); for conv kernels [kh, kw, in, out]
 * both fans are multiplied by the receptive field kh*kw, as Keras computes them.
 */
export function glorotLimit(shape: readonly number[]): number {
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const fanIn = (shape.at(-2) ?? 1) * receptive;
  const fanOut = (shape.at(-1) ?? 1) * receptive;
  return Math.sqrt(6 / (fanIn + fanOut));
}

function glorotUniform(name: string, shape: number[], random: () => number): WeightTensor {
  const limit = glorotLimit(shape);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * limit;
  return { name, shape, data };
}

/**
 * VGG16 weights as Keras initialises them (glorot-uniform kernels, zero biases), in Keras's layer
 * order including the weightless input and pooling layers, with Keras 2 weight names.
 */
export function vgg16InitialWeights(options: InitWeightsOptions = {}): LayerWeights[] {
  const { includeTop, seed } = { ...INIT_WEIGHTS_DEFAULTS, ...options };
  const shapes = vgg16WeightShapes(vgg16Layers({ includeTop, classes: 1000 }));
  const layers = shapes.map(({ name, kernel, bias }): LayerWeights => {
    if (!kernel || !bias) return { name, weights: [] };
    const random = mulberry32(layerSeed(seed, name));
    return {
      name,
      weights: [
        glorotUniform(`${name}/kernel:0`, kernel, random),
        { name: `${name}/bias:0`, shape: bias, data: new Float32Array(bias[0] ?? 0) },
      ],
    };
  });
  return [{ name: 'input_1', weights: [] }, ...layers];
}

/**
 * Write a freshly initialised VGG16 weights file (Keras 2 legacy `save_weights` layout, atomic),
 * marked as random-init so every command that uses it can say its accuracy means nothing for ImageNet.
 */
export async function initWeights(out: string, options: InitWeightsOptions = {}): Promise<void> {
  const seed = options.seed ?? INIT_WEIGHTS_DEFAULTS.seed;
  await writeLegacyWeights(out, vgg16InitialWeights(options), { randomInit: `glorot_uniform seed ${seed}` });
}

/** Test weights for the VGG16 conv base, deterministic and cheap. */
import type { KerasFile } from '../../src/keras/types.ts';
import { VGG16_BASE } from '../../src/models/vgg16-spec.ts';

/** Deterministic values in [-scale, scale] (an LCG: tests need reproducible, not good, randomness). */
export function noise(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

/**
 * VGG16 conv-base weights in memory: uniform kernels at `gain` x He scale (activations stay in the
 * tens, like real VGG features) and non-zero biases, so features are far from trivial.
 */
export function randomVgg16(seed = 1, gain = 0.65): KerasFile {
  let cin = 3;
  const layers = VGG16_BASE.map((layer, i) => {
    if (layer.kind !== 'conv') return { name: layer.name, weights: [] };
    const shape = [3, 3, cin, layer.filters];
    const kernel = noise(9 * cin * layer.filters, seed * 1000 + i + 1, gain * Math.sqrt(6 / (9 * cin)));
    cin = layer.filters;
    return {
      name: layer.name,
      weights: [
        { name: `${layer.name}/kernel:0`, shape, data: kernel },
        { name: `${layer.name}/bias:0`, shape: [layer.filters], data: noise(layer.filters, seed * 1000 + 100 + i, 0.1) },
      ],
    };
  });
  return { path: `random-vgg16-${seed}`, format: 'legacy-weights', layers };
}

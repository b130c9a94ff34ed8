/**
 * Activation maximisation: start from noise and climb the gradient of each filter's mean
 * activation, rendering what the filter "likes". All filters run as one batch — image i serves
 * filter i and the loss is the sum of each image's own filter mean, so one forward/backward per
 * step serves every filter. When the layer is a Conv2D only the chosen filters are convolved
 * (a gathered kernel), which cuts the costliest layer's work by channels/filters.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng } from '../data/random.ts';
import { caffeInput, caffeToRgb, pixelsToInput } from '../models/preprocess.ts';
import { gridCanvas, type Canvas, type RgbImage } from './compose.ts';
import { activate, applyLayers, checkIndices, convParts, convSelected, layersUpTo } from './layers.ts';

/** Options of {@link maximizeFilters}. */
export interface MaximizeOptions {
  /** Layer whose filters to maximise. Required. */
  layer: string;
  /** Filter (channel) indices, one image each. Required. */
  filters: readonly number[];
  /** Gradient-ascent steps. Default: 200. */
  steps?: number;
  /** Image side in pixels. Default: 128. */
  size?: number;
  /** Pixel change per step (RMS over the image) of the normalised gradient. Default: 1. */
  stepSize?: number;
  /** Random shift of up to this many pixels each step (wrapping), so the picture is not tied to one alignment. Default: 2. */
  jitter?: number;
  /** A light 3x3 blur every this many steps, suppressing high-frequency noise at some cost in activation; 0 = never. Default: 0. */
  blurEvery?: number;
  /** Seed for the starting noise and the jitter. Default: 0. */
  seed?: number;
  /** Called after each step with the filters' mean activations (before the step's update). Default: none. */
  onStep?: (step: number, means: Float32Array) => void;
}

/** Defaults of {@link MaximizeOptions}. */
export const MAXIMIZE_DEFAULTS = { steps: 200, size: 128, stepSize: 1, jitter: 2, blurEvery: 0, seed: 0 } as const;

/** What gradient ascent produced. */
export interface MaximizeResult {
  layer: string;
  filters: readonly number[];
  steps: number;
  /** One picture per filter, `size`x`size`, contrast-stretched for display. */
  images: RgbImage[];
  /** `history[s][i]`: filter i's mean activation at step s (of its own image, before that step's update). */
  history: Float32Array[];
}

/** Builds `[n]` per-image mean activations of each image's own filter from a batch of inputs. */
export type Objective = (x: tf.Tensor4D) => tf.Tensor1D;

/** The objective: image i's mean activation of `filters[i]` at `layer` (a batch of `filters.length` images). */
export function filterMeans(model: tf.LayersModel, layer: string, filters: readonly number[]): Objective {
  const layers = layersUpTo(model, layer);
  const target = layers.at(-1)!;
  const prefix = layers.slice(0, -1);
  const n = filters.length;
  const ownChannel = (out: tf.Tensor, channels: readonly number[], count: number): tf.Tensor1D => {
    // One-hot per image picks its own channel; the mean runs over every position.
    const picks = new Float32Array(n * count);
    channels.forEach((c, i) => (picks[i * count + c] = 1));
    const mask = tf.tensor(picks, [n, ...out.shape.slice(1, -1).map(() => 1), count]);
    const positions = out.shape.slice(1, -1).reduce<number>((a, b) => a * (b ?? 1), 1);
    return tf.div(tf.sum(tf.mul(out, mask), out.shape.slice(1).map((_, i) => i + 1)), positions) as tf.Tensor1D;
  };
  if (target.getClassName() === 'Conv2D') {
    const parts = convParts(target);
    checkIndices(filters, parts.kernel.shape[3], 'filters', layer);
    const batchIndex = filters.map((_, i) => i);
    return (x) => ownChannel(activate(convSelected(applyLayers(prefix, x) as tf.Tensor4D, parts, filters), parts.activation), batchIndex, n);
  }
  return (x) => {
    const out = applyLayers(layers, x);
    checkIndices(filters, out.shape.at(-1) ?? 0, 'channels', layer);
    return ownChannel(out, filters, out.shape.at(-1) ?? 0);
  };
}

/** Shift by (dy, dx) pixels with wrap-around; differentiable (slices and concats). */
function roll(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  const shift = (t: tf.Tensor4D, s: number, axis: 1 | 2): tf.Tensor4D => {
    const len = t.shape[axis];
    const k = ((s % len) + len) % len;
    if (k === 0) return t;
    const begin = [0, 0, 0, 0];
    const head = [...t.shape] as number[];
    head[axis] = len - k;
    const tailBegin = [...begin];
    tailBegin[axis] = len - k;
    const tail = [...t.shape] as number[];
    tail[axis] = k;
    return tf.concat([tf.slice(t, tailBegin, tail), tf.slice(t, begin, head)], axis);
  };
  return shift(shift(x, dy, 1), dx, 2);
}

/** A 3x3 binomial blur per channel. */
function blur(x: tf.Tensor4D): tf.Tensor4D {
  const k1 = [0.25, 0.5, 0.25];
  const k = tf.tensor4d(k1.flatMap((a) => k1.flatMap((b) => [a * b, a * b, a * b])), [3, 3, 3, 1]);
  return tf.depthwiseConv2d(x, k, 1, 'same');
}

/** RGB pixels (0..255 scale) contrast-stretched around the image's mean (Chollet's deprocessing). */
function toDisplay(rgb: Float32Array, size: number): RgbImage {
  const mean = rgb.reduce((a, b) => a + b, 0) / rgb.length;
  const std = Math.sqrt(rgb.reduce((a, b) => a + (b - mean) ** 2, 0) / rgb.length) + 1e-5;
  return { width: size, height: size, data: Uint8Array.from(rgb, (v) => Math.round(Math.min(1, Math.max(0, 0.5 + (0.15 * (v - mean)) / std)) * 255)) };
}

function startingNoise(n: number, size: number, rng: Rng): tf.Tensor4D {
  const pixels = Float32Array.from({ length: n * size * size * 3 }, () => 128 + (rng() - 0.5) * 40);
  return pixelsToInput(pixels, [n, size, size]);
}

/**
 * Gradient ascent from grey noise on each filter's mean activation, with RMS-normalised gradients,
 * jitter and an occasional light blur; pixels stay within the valid 0..255 range. The model must
 * take caffe-preprocessed input (VGG16 and transferkit runs do); works on wasm, whose
 * conv-gradient kernels transferkit registers.
 */
export async function maximizeFilters(model: tf.LayersModel, options: MaximizeOptions): Promise<MaximizeResult> {
  const o = { ...MAXIMIZE_DEFAULTS, ...options };
  const f = filterMeans(model, o.layer, o.filters);
  const n = o.filters.length;
  const rng = createRng(`maximize:${o.seed}`);
  // Where pixels 0 and 255 land after preprocessing, per channel: the input's valid range.
  const lo = tf.tensor1d(caffeInput(new Uint8Array(3)));
  const hi = tf.tensor1d(caffeInput(new Uint8Array(3).fill(255)));
  let x = startingNoise(n, o.size, rng);
  const history: Float32Array[] = [];
  try {
    for (let step = 0; step < o.steps; step++) {
      const jitter = () => Math.round((rng() * 2 - 1) * o.jitter);
      const [dy, dx] = [jitter(), jitter()];
      const blurNow = o.blurEvery > 0 && (step + 1) % o.blurEvery === 0;
      const [next, means] = tf.tidy(() => {
        let means: tf.Tensor1D | undefined;
        const grad = tf.grad((input: tf.Tensor) => {
          means = tf.keep(f(roll(input as tf.Tensor4D, dy, dx)));
          return tf.sum(means);
        })(x);
        const rms = tf.sqrt(tf.add(tf.mean(tf.square(grad), [1, 2, 3], true), 1e-12));
        let updated = tf.add(x, tf.mul(tf.div(grad, rms), o.stepSize)) as tf.Tensor4D;
        if (blurNow) updated = blur(updated);
        return [tf.minimum(tf.maximum(updated, lo), hi) as tf.Tensor4D, means!];
      });
      x.dispose();
      x = next;
      const values = (await means.data()) as Float32Array;
      means.dispose();
      history.push(values);
      o.onStep?.(step, values);
    }
    const pixels = (await x.data()) as Float32Array;
    const per = o.size * o.size * 3;
    const images = Array.from({ length: n }, (_, i) => toDisplay(caffeToRgb(pixels.subarray(i * per, (i + 1) * per)), o.size));
    return { layer: o.layer, filters: o.filters, steps: o.steps, images, history };
  } finally {
    tf.dispose([x, lo, hi]);
  }
}

/** The maximised pictures as a labelled grid. */
export function maximizeCanvas(result: MaximizeResult): Canvas {
  return gridCanvas(result.images, {
    title: `${result.layer}: inputs maximising each filter's mean activation (${result.steps} steps)`,
    captions: result.filters.map((f) => `filter ${f}`),
  });
}

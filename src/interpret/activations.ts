/**
 * What a layer sees in one image: its feature maps as a grid, and the convolution demo of a single
 * kernel (the image, the kernel, its raw response and the response after the activation).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { colourise, rangeOf, symmetricRange, type ValueRange } from './colormap.ts';
import { gridCanvas, resizeNearest, upscaleFactor, type Canvas, type RgbImage } from './compose.ts';
import { activate, applyLayers, checkIndices, convParts, convSelected, layersUpTo } from './layers.ts';

/** How feature maps share a colour scale. */
export type ActivationScale = 'shared' | 'per-map';

/** Options of {@link activationsCanvas}. */
export interface ActivationsOptions {
  /** Layer whose output to show (any layer with a 4D output). Required. */
  layer: string;
  /** Channel indices to show. Default: the first 32 (0-31). */
  channels?: readonly number[];
  /** `shared`: one scale for all maps (compare strengths); `per-map`: each map its own (see structure). Default: 'per-map'. */
  scale?: ActivationScale;
  /** Smallest tile side in pixels; small maps are upscaled by whole factors. Default: 64. */
  tileSize?: number;
}

/** Options of {@link kernelResponseCanvas}. */
export interface KernelResponseOptions {
  /** Conv2D layer holding the filter. Required. */
  layer: string;
  /** Filter (output channel) index. Required. */
  filter: number;
  /** Smallest tile side in pixels. Default: 64. */
  tileSize?: number;
}

/** Defaults of the activation pictures. */
export const ACTIVATIONS_DEFAULTS = { channels: 32, scale: 'per-map', tileSize: 64 } as const;

/** Feature maps of one image: `maps[i]` is channel `channels[i]`, row-major `height`x`width`. */
export interface FeatureMaps {
  layer: string;
  height: number;
  width: number;
  channels: readonly number[];
  maps: Float32Array[];
}

/** Channel `c` of an HWC array. */
function channelOf(data: Float32Array, pixels: number, stride: number, c: number): Float32Array {
  const out = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) out[p] = data[p * stride + c]!;
  return out;
}

/** The layer's output for a `[1, h, w, 3]` preprocessed input, split into the chosen channels. */
export function featureMaps(model: tf.LayersModel, input: tf.Tensor4D, layer: string, channels?: readonly number[]): FeatureMaps {
  const out = tf.tidy(() => applyLayers(layersUpTo(model, layer), input));
  try {
    if (out.rank !== 4) throw new UserError(`Layer "${layer}" outputs shape [${out.shape.join(', ')}], not feature maps; pick a convolution or pooling layer.`);
    const [, height = 0, width = 0, count = 0] = out.shape;
    const chosen = checkIndices(channels ?? Array.from({ length: Math.min(count, ACTIVATIONS_DEFAULTS.channels) }, (_, i) => i), count, 'channels', layer);
    const data = out.dataSync() as Float32Array;
    return { layer, height, width, channels: chosen, maps: chosen.map((c) => channelOf(data, height * width, count, c)) };
  } finally {
    out.dispose();
  }
}

/** The feature maps of one image as a labelled grid (viridis). */
export function activationsCanvas(model: tf.LayersModel, input: tf.Tensor4D, options: ActivationsOptions): Canvas {
  const fm = featureMaps(model, input, options.layer, options.channels);
  const scale = options.scale ?? ACTIVATIONS_DEFAULTS.scale;
  const shared: ValueRange = rangeOf(fm.maps.flatMap((m) => [rangeOf(m).min, rangeOf(m).max]));
  const factor = upscaleFactor(Math.min(fm.height, fm.width), options.tileSize ?? ACTIVATIONS_DEFAULTS.tileSize);
  const tiles = fm.maps.map((m) =>
    resizeNearest(colourise(m, fm.width, fm.height, 'viridis', scale === 'shared' ? shared : rangeOf(m)), fm.width * factor, fm.height * factor),
  );
  const scaleText = scale === 'shared' ? `shared scale ${shared.min.toPrecision(3)}..${shared.max.toPrecision(3)}` : 'each map scaled to its own range';
  return gridCanvas(tiles, {
    title: `${fm.layer}: ${fm.width}x${fm.height} feature maps, channels ${fm.channels.join(',')}; ${scaleText}`,
    captions: fm.channels.map(String),
  });
}

/** One filter's response to an image: before and after the layer's activation. */
export interface KernelResponse {
  height: number;
  width: number;
  /** Convolution plus bias, before the activation. */
  response: Float32Array;
  /** After the layer's activation (what {@link featureMaps} shows for this channel). */
  activated: Float32Array;
  /** The filter summed over its input channels, `[kh, kw]` (or its 3 channels when the input is RGB, `[kh, kw, 3]`). */
  kernel: Float32Array;
  kernelShape: readonly number[];
}

/** Convolve the layer's input with filter `filter` alone (the convolution demo of a single kernel). */
export function kernelResponse(model: tf.LayersModel, input: tf.Tensor4D, layer: string, filter: number): KernelResponse {
  const layers = layersUpTo(model, layer);
  const parts = convParts(layers.at(-1)!);
  const [kh, kw, cin, cout] = parts.kernel.shape;
  checkIndices([filter], cout, 'filters', layer);
  const [response, activated] = tf.tidy(() => {
    const x = applyLayers(layers.slice(0, -1), input) as tf.Tensor4D;
    const pre = convSelected(x, parts, [filter]);
    return [pre, activate(pre, parts.activation)];
  });
  const kernel = tf.tidy(() => {
    const k = tf.squeeze(tf.slice(parts.kernel, [0, 0, 0, filter], [kh, kw, cin, 1]), [3]);
    return cin === 3 ? k : tf.sum(k, 2);
  });
  const [, height = 0, width = 0] = response.shape;
  const result = {
    height,
    width,
    response: response.dataSync() as Float32Array,
    activated: activated.dataSync() as Float32Array,
    kernel: kernel.dataSync() as Float32Array,
    kernelShape: kernel.shape,
  };
  tf.dispose([response, activated, kernel]);
  return result;
}

/** The kernel as a picture: RGB (flipped from BGR) for a first layer, else its channel sum on a diverging map. */
function kernelTile(r: KernelResponse, bgr: boolean): RgbImage {
  const [kh = 0, kw = 0, c = 1] = r.kernelShape;
  if (c !== 3) return colourise(r.kernel, kw, kh, 'diverging', symmetricRange(r.kernel));
  const { min, max } = rangeOf(r.kernel);
  const span = max - min || 1;
  const data = new Uint8Array(kh * kw * 3);
  for (let p = 0; p < kh * kw; p++) for (let ch = 0; ch < 3; ch++) data[p * 3 + ch] = Math.round(((r.kernel[p * 3 + (bgr ? 2 - ch : ch)]! - min) / span) * 255);
  return { width: kw, height: kh, data };
}

/**
 * The image, filter `filter`'s kernel, its raw response (blue < 0 < red) and the response after
 * the activation (viridis), side by side. `image` is the displayed input (RGB); `bgr` says the
 * network's input channels are BGR (caffe preprocessing). Default bgr: true.
 */
export function kernelResponseCanvas(model: tf.LayersModel, input: tf.Tensor4D, image: RgbImage, options: KernelResponseOptions & { bgr?: boolean }): Canvas {
  const r = kernelResponse(model, input, options.layer, options.filter);
  const factor = upscaleFactor(Math.min(r.height, r.width), options.tileSize ?? ACTIVATIONS_DEFAULTS.tileSize);
  const [w, h] = [r.width * factor, r.height * factor];
  const tiles = [
    resizeNearest(image, w, h),
    resizeNearest(kernelTile(r, options.bgr ?? true), w, h),
    resizeNearest(colourise(r.response, r.width, r.height, 'diverging', symmetricRange(r.response)), w, h),
    resizeNearest(colourise(r.activated, r.width, r.height, 'viridis'), w, h),
  ];
  return gridCanvas(tiles, {
    columns: 4,
    title: `${options.layer} filter ${options.filter}: image * kernel = response, then activation`,
    captions: ['image', `kernel ${options.filter}`, 'response', 'activated'],
  });
}

/**
 * Pictures of a convolution layer's learned filters: for a first layer (3 input channels) each
 * filter is one RGB tile; deeper, each filter is a row of per-input-channel tiles.
 */
import type * as tf from '@tensorflow/tfjs';
import { colourise, symmetricRange } from './colormap.ts';
import { gridCanvas, resizeNearest, upscaleFactor, type Canvas, type RgbImage } from './compose.ts';
import { checkIndices, convParts, layersUpTo } from './layers.ts';

/** Options of {@link kernelsCanvas}. */
export interface KernelsOptions {
  /** Conv2D layer whose kernels to show. Default: 'block1_conv1'. */
  layer?: string;
  /** Filter (output channel) indices. Default: all for RGB tiles, the first 16 deeper. */
  filters?: readonly number[];
  /** Input channels per filter shown in deeper layers. Default: the first 16. */
  channels?: readonly number[];
  /**
   * Input channels are BGR (caffe preprocessing, as VGG16's are): flip to RGB for display.
   * Default: true.
   */
  bgr?: boolean;
  /** Smallest tile side in pixels; kernels are upscaled by whole factors. Default: 32. */
  tileSize?: number;
}

/** Defaults of {@link KernelsOptions}. */
export const KERNELS_DEFAULTS = { layer: 'block1_conv1', deepFilters: 16, channels: 16, bgr: true, tileSize: 32 } as const;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** One filter's `[kh, kw, 3]` weights as an RGB tile, normalised to its own min..max. */
function rgbTile(kernel: Float32Array, shape: readonly number[], filter: number, bgr: boolean): RgbImage {
  const [kh = 0, kw = 0, cin = 0, cout = 0] = shape;
  const values = new Float32Array(kh * kw * 3);
  for (let p = 0; p < kh * kw; p++) {
    for (let c = 0; c < 3; c++) values[p * 3 + c] = kernel[(p * cin + (bgr ? 2 - c : c)) * cout + filter]!;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) [min, max] = [Math.min(min, v), Math.max(max, v)];
  const span = max - min || 1;
  return { width: kw, height: kh, data: Uint8Array.from(values, (v) => Math.round(((v - min) / span) * 255)) };
}

/** One filter's weights on one input channel, on a diverging map scaled for the whole filter. */
function channelTiles(kernel: Float32Array, shape: readonly number[], filter: number, channels: readonly number[]): RgbImage[] {
  const [kh = 0, kw = 0, cin = 0, cout = 0] = shape;
  const all = new Float32Array(kh * kw * cin);
  for (let p = 0; p < kh * kw; p++) for (let c = 0; c < cin; c++) all[p * cin + c] = kernel[(p * cin + c) * cout + filter]!;
  const scale = symmetricRange(all);
  return channels.map((c) => colourise(range(kh * kw).map((p) => all[p * cin + c]!), kw, kh, 'diverging', scale));
}

/** The layer's kernels as a labelled grid, ready for {@link writeCanvasPng}. */
export function kernelsCanvas(model: tf.LayersModel, options: KernelsOptions = {}): Canvas {
  const layerName = options.layer ?? KERNELS_DEFAULTS.layer;
  const layer = layersUpTo(model, layerName).at(-1)!;
  const { kernel } = convParts(layer);
  const shape = kernel.shape;
  const [kh, kw, cin, cout] = shape;
  const data = kernel.dataSync() as Float32Array;
  const bgr = options.bgr ?? KERNELS_DEFAULTS.bgr;
  const side = Math.max(kh, kw);
  const factor = upscaleFactor(side, options.tileSize ?? KERNELS_DEFAULTS.tileSize);
  const upscale = (t: RgbImage) => resizeNearest(t, t.width * factor, t.height * factor);

  if (cin === 3) {
    const filters = checkIndices(options.filters ?? range(cout), cout, 'filters', layerName);
    const tiles = filters.map((f) => upscale(rgbTile(data, shape, f, bgr)));
    return gridCanvas(tiles, {
      columns: Math.min(16, Math.ceil(Math.sqrt(filters.length * 2))),
      title: `${layerName}: ${filters.length} of ${cout} filters, ${kh}x${kw}x3 (${bgr ? 'BGR weights shown as RGB' : 'RGB'}), each scaled to its own range`,
      captions: filters.map(String),
    });
  }
  const filters = checkIndices(options.filters ?? range(Math.min(cout, KERNELS_DEFAULTS.deepFilters)), cout, 'filters', layerName);
  const channels = checkIndices(options.channels ?? range(Math.min(cin, KERNELS_DEFAULTS.channels)), cin, 'input channels', layerName);
  const tiles = filters.flatMap((f) => channelTiles(data, shape, f, channels).map(upscale));
  return gridCanvas(tiles, {
    columns: channels.length,
    title: `${layerName}: filters ${filters.join(',')} (rows) x input channels ${channels[0]}-${channels.at(-1)} (columns); blue < 0 < red`,
    captions: filters.flatMap((f) => channels.map((c) => `${f}:${c}`)),
  });
}

/**
 * Colour maps for single-channel pictures: viridis for activations (perceptually uniform, readable
 * in grey), a blue-white-red diverging map for signed values (kernels, raw responses), and jet for
 * Grad-CAM heatmaps (the convention users know from the paper and the Keras example).
 */
import type { RgbImage } from './compose.ts';

/** The colour maps on offer. */
export type ColourMapName = 'viridis' | 'diverging' | 'jet' | 'gray';

type Anchors = ReadonlyArray<readonly [number, number, number]>;

/** Evenly spaced anchor colours, linearly interpolated between. */
const ANCHORS: Record<ColourMapName, Anchors> = {
  viridis: [
    [68, 1, 84],
    [72, 40, 120],
    [62, 73, 137],
    [49, 104, 142],
    [38, 130, 142],
    [31, 158, 137],
    [53, 183, 121],
    [109, 205, 89],
    [180, 222, 44],
    [253, 231, 37],
  ],
  diverging: [
    [33, 102, 172],
    [103, 169, 207],
    [209, 229, 240],
    [247, 247, 247],
    [253, 219, 199],
    [239, 138, 98],
    [178, 24, 43],
  ],
  jet: [
    [0, 0, 143],
    [0, 0, 255],
    [0, 127, 255],
    [0, 255, 255],
    [127, 255, 127],
    [255, 255, 0],
    [255, 127, 0],
    [255, 0, 0],
    [127, 0, 0],
  ],
  gray: [
    [0, 0, 0],
    [255, 255, 255],
  ],
};

/** The colour of `t` in [0, 1] (clamped) on a map. */
export function colourAt(map: ColourMapName, t: number): [number, number, number] {
  const anchors = ANCHORS[map];
  const pos = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (anchors.length - 1);
  const i = Math.min(anchors.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = anchors[i]!;
  const b = anchors[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}

/** A value range to map onto a colour map's ends. */
export interface ValueRange {
  min: number;
  max: number;
}

/** Min and max of `values` (0..0 when empty). */
export function rangeOf(values: ArrayLike<number>): ValueRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return values.length === 0 ? { min: 0, max: 0 } : { min, max };
}

/** A range centred on zero, so zero maps to the middle of a diverging map. */
export function symmetricRange(values: ArrayLike<number>): ValueRange {
  const { min, max } = rangeOf(values);
  const m = Math.max(Math.abs(min), Math.abs(max));
  return { min: -m, max: m };
}

/** Colour a `width`x`height` single-channel map; a flat range paints the map's low end. */
export function colourise(values: ArrayLike<number>, width: number, height: number, map: ColourMapName, range: ValueRange = rangeOf(values)): RgbImage {
  const span = range.max - range.min;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(colourAt(map, span > 0 ? (values[i]! - range.min) / span : 0), i * 3);
  return { width, height, data };
}

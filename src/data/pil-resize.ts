/**
 * Pillow's `Image.resize` on 8-bit RGB, reproduced bit for bit, because Keras's `load_img(path,
 * target_size=..., interpolation=...)` is that call and a Keras-trained head expects its pixels.
 * Nearest is Pillow's affine scaling (sample positions accumulated in doubles, truncated); the other
 * filters are its separable two-pass convolution with coefficients rounded to 22-bit fixed point,
 * horizontal first, each pass clipped to 8 bits. Written from Pillow's documented algorithm
 * (libImaging Resample.c / Geometry.c); the Keras oracle test checks it against Pillow itself.
 */

/** Keras `load_img` interpolations, i.e. Pillow's resampling filters. */
export const PIL_FILTERS = ['nearest', 'bilinear', 'bicubic', 'hamming', 'box', 'lanczos'] as const;
export type PilFilter = (typeof PIL_FILTERS)[number];

/** 8-bit RGB pixels, row-major HWC. */
export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
}

interface Kernel {
  support: number;
  weight: (x: number) => number;
}

const sinc = (x: number) => (x === 0 ? 1 : Math.sin(x * Math.PI) / (x * Math.PI));
// Pillow writes these two constants as C floats (0.54f, 0.46f).
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

const KERNELS: Record<Exclude<PilFilter, 'nearest'>, Kernel> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  hamming: {
    support: 1,
    weight: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      return (Math.sin(a * Math.PI) / (a * Math.PI)) * (HAMMING_A + HAMMING_B * Math.cos(a * Math.PI));
    },
  },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = Math.abs(x);
      const c = -0.5;
      if (a < 1) return ((c + 2) * a - (c + 3)) * a * a + 1;
      if (a < 2) return (((a - 5) * a + 8) * a - 4) * c;
      return 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/** One output position's source span and fixed-point weights. */
interface Tap {
  first: number;
  weights: Int32Array;
}

/** Pillow's `precompute_coeffs` then `normalize_coeffs_8bpc`, for the whole axis `[0, inSize)`. */
function taps(inSize: number, outSize: number, kernel: Kernel): Tap[] {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const inverse = 1 / filterScale; // Pillow multiplies by the reciprocal; dividing can differ in the last bit
  return Array.from({ length: outSize }, (_, i) => {
    const center = (i + 0.5) * scale;
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const count = Math.min(inSize, Math.trunc(center + support + 0.5)) - first;
    const raw = Array.from({ length: count }, (_, x) => kernel.weight((x + first - center + 0.5) * inverse));
    const total = raw.reduce((a, b) => a + b, 0);
    const weights = Int32Array.from(raw, (w) => {
      const k = total === 0 ? w : w / total;
      return Math.trunc(k < 0 ? -0.5 + k * (1 << PRECISION_BITS) : 0.5 + k * (1 << PRECISION_BITS));
    });
    return { first, weights };
  });
}

const clip8 = (sum: number) => Math.min(255, Math.max(0, sum >> PRECISION_BITS));

/** Horizontal pass over rows `[rowStart, rowStart + rows)` of `src`. */
function horizontal(src: RgbPixels, rowStart: number, rows: number, xTaps: Tap[]): RgbPixels {
  const width = xTaps.length;
  const out = new Uint8Array(width * rows * 3);
  for (let y = 0; y < rows; y++) {
    const row = (rowStart + y) * src.width * 3;
    for (let x = 0; x < width; x++) {
      const { first, weights } = xTaps[x]!;
      for (let c = 0; c < 3; c++) {
        let sum = HALF;
        for (let i = 0; i < weights.length; i++) sum += src.data[row + (first + i) * 3 + c]! * weights[i]!;
        out[(y * width + x) * 3 + c] = clip8(sum);
      }
    }
  }
  return { data: out, width, height: rows };
}

/** Vertical pass; `rowOffset` is the first source row `src` holds. */
function vertical(src: RgbPixels, yTaps: Tap[], rowOffset: number): RgbPixels {
  const { width } = src;
  const out = new Uint8Array(width * yTaps.length * 3);
  for (let y = 0; y < yTaps.length; y++) {
    const { first, weights } = yTaps[y]!;
    for (let x = 0; x < width * 3; x++) {
      let sum = HALF;
      for (let i = 0; i < weights.length; i++) sum += src.data[(first - rowOffset + i) * width * 3 + x]! * weights[i]!;
      out[y * width * 3 + x] = clip8(sum);
    }
  }
  return { data: out, width, height: yTaps.length };
}

/** Pillow's nearest: `ImagingScaleAffine` with sample centres `(i + 0.5) * scale`, accumulated. */
function nearest(src: RgbPixels, width: number, height: number): RgbPixels {
  const positions = (inSize: number, outSize: number) => {
    const step = inSize / outSize;
    const at = new Int32Array(outSize);
    for (let i = 0, pos = step * 0.5; i < outSize; i++, pos += step) at[i] = pos < 0 ? -1 : Math.trunc(pos);
    return at;
  };
  const xs = positions(src.width, width);
  const ys = positions(src.height, height);
  // Positions outside the source stay 0, as Pillow's fill does (only reachable through rounding).
  const out = new Uint8Array(width * height * 3);
  const data = src.data;
  for (let y = 0; y < height; y++) {
    if (ys[y]! >= src.height) continue;
    const row = ys[y]! * src.width;
    // Byte by byte: a subarray per pixel made this the costliest step of int8 extraction after the network.
    for (let x = 0, to = y * width * 3; x < width; x++, to += 3) {
      if (xs[x]! >= src.width) continue;
      const from = (row + xs[x]!) * 3;
      out[to] = data[from]!;
      out[to + 1] = data[from + 1]!;
      out[to + 2] = data[from + 2]!;
    }
  }
  return { data: out, width, height };
}

/** `Image.resize((width, height), filter)` of an RGB image, as Pillow computes it. */
export function pilResize(src: RgbPixels, width: number, height: number, filter: PilFilter): RgbPixels {
  if (src.width === width && src.height === height) return { data: src.data.slice(), width, height };
  if (filter === 'nearest') return nearest(src, width, height);
  const kernel = KERNELS[filter];
  const yTaps = taps(src.height, height, kernel);
  if (src.width === width) return vertical(src, yTaps, 0);
  const xTaps = taps(src.width, width, kernel);
  // Pillow runs the horizontal pass only over the rows the vertical pass will read.
  const firstRow = yTaps[0]!.first;
  const last = yTaps[yTaps.length - 1]!;
  const rows = horizontal(src, firstRow, last.first + last.weights.length - firstRow, xTaps);
  return src.height === height ? rows : vertical(rows, yTaps, firstRow);
}

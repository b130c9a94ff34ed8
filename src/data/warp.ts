import type { FillMode } from './augment-options.ts';
import type { DecodedImage } from './decode.ts';

/** 2x3 affine [a, b, tx, c, d, ty]: (x, y) -> (a x + b y + tx, c x + d y + ty), pixel-index coordinates. */
export type Affine = [number, number, number, number, number, number];

/** Where index `v` of an axis of length `n` reads from under a fill mode (-1: use cval). */
function fillIndex(v: number, n: number, fill: FillMode): number {
  if (v >= 0 && v < n) return v;
  switch (fill) {
    case 'constant':
      return -1;
    case 'nearest':
      return v < 0 ? 0 : n - 1;
    case 'wrap':
      return ((v % n) + n) % n;
    case 'reflect': {
      const p = ((v % (2 * n)) + 2 * n) % (2 * n); // d c b a | a b c d | d c b a (scipy 'reflect')
      return p < n ? p : 2 * n - 1 - p;
    }
  }
}

/**
 * Bilinear resampling of an RGB image through `inverse` (output pixel -> input position), scipy
 * `ndimage.affine_transform(order=1)` as Keras uses it, with the Keras fill modes; the output has the
 * input's size. A tight loop on the small (already resized) image beats any libvips pass here: libvips
 * sizes an affine's output to the whole transformed input, so it needs padding and a bigger canvas.
 */
export function warpBilinear(src: DecodedImage, inverse: Affine, fill: FillMode, cval: number): DecodedImage {
  const { data, width: w, height: h } = src;
  const out = new Uint8Array(w * h * 3);
  const [a, b, tx, c, d, ty] = inverse;
  const row = w * 3;
  let o = 0;
  for (let y = 0; y < h; y++) {
    const rx = b * y + tx, ry = d * y + ty;
    for (let x = 0; x < w; x++, o += 3) {
      const ix = a * x + rx;
      const iy = c * x + ry;
      const x0 = Math.floor(ix);
      const y0 = Math.floor(iy);
      const fx = ix - x0;
      const fy = iy - y0;
      if (x0 >= 0 && y0 >= 0 && x0 < w - 1 && y0 < h - 1) {
        // Interior (almost every pixel): all four neighbours exist.
        const p = y0 * row + x0 * 3;
        const q = p + row;
        const r0 = data[p]! + fx * (data[p + 3]! - data[p]!), r1 = data[q]! + fx * (data[q + 3]! - data[q]!);
        const g0 = data[p + 1]! + fx * (data[p + 4]! - data[p + 1]!), g1 = data[q + 1]! + fx * (data[q + 4]! - data[q + 1]!);
        const b0 = data[p + 2]! + fx * (data[p + 5]! - data[p + 2]!), b1 = data[q + 2]! + fx * (data[q + 5]! - data[q + 2]!);
        out[o] = r0 + fy * (r1 - r0) + 0.5;
        out[o + 1] = g0 + fy * (g1 - g0) + 0.5;
        out[o + 2] = b0 + fy * (b1 - b0) + 0.5;
        continue;
      }
      // Border: neighbours through the fill mode; -1 offsets read cval.
      const xa = fillIndex(x0, w, fill), xb = fillIndex(x0 + 1, w, fill);
      const ya = fillIndex(y0, h, fill), yb = fillIndex(y0 + 1, h, fill);
      const p00 = xa < 0 || ya < 0 ? -1 : ya * row + xa * 3, p10 = xb < 0 || ya < 0 ? -1 : ya * row + xb * 3;
      const p01 = xa < 0 || yb < 0 ? -1 : yb * row + xa * 3, p11 = xb < 0 || yb < 0 ? -1 : yb * row + xb * 3;
      for (let ch = 0; ch < 3; ch++) {
        const v00 = p00 < 0 ? cval : data[p00 + ch]!, v10 = p10 < 0 ? cval : data[p10 + ch]!;
        const v01 = p01 < 0 ? cval : data[p01 + ch]!, v11 = p11 < 0 ? cval : data[p11 + ch]!;
        const top = v00 + fx * (v10 - v00), bottom = v01 + fx * (v11 - v01);
        out[o + ch] = top + fy * (bottom - top) + 0.5;
      }
    }
  }
  return { data: out, width: w, height: h };
}

/**
 * IEEE 754 half precision, for storing features at half the disk. Rounding is to nearest-even, so
 * a stored value differs from the float32 one by at most 2^-11 relative (~0.05%) for |x| >= 6.1e-5;
 * smaller values keep an absolute error <= 2^-25 (subnormals); |x| > 65504 saturates to infinity.
 * Post-ReLU VGG features sit comfortably in range.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> signed zero
    mant |= 0x800000; // subnormal: shift the implicit 1 in, round to nearest even
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  let h = sign | (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // may carry into the exponent: still correct
  return h;
}

function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
  return out;
}

let table: Float32Array | undefined;

/** Decode half floats into `out` (allocated when not given); a 256 KB table makes it a lookup. */
export function fromFloat16(halves: Uint16Array, out: Float32Array = new Float32Array(halves.length)): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromHalfBits(h);
  }
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]!]!;
  return out;
}

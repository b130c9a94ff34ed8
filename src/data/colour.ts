import type { DecodedImage } from './decode.ts';

/** Per-pixel colour transform: rgb' = M rgb + offset, M row-major 3x3. */
export interface ColourTransform {
  matrix: [number, number, number, number, number, number, number, number, number];
  offset: number;
}

/** The colour changes one augmentation draws. */
export interface ColourJitter {
  /** Multiplier, 1 = unchanged. */
  brightness: number;
  /** Offset added to every channel (0-255 scale). */
  channelShift: number;
  /** Hue rotation in degrees. */
  hue: number;
  /** Saturation multiplier. */
  saturation: number;
}

// Luminance weights of the W3C Filter Effects `hueRotate` / `saturate` matrices (Rec. 709).
const LR = 0.213, LG = 0.715, LB = 0.072;

type Matrix = ColourTransform['matrix'];

function multiply(m: Matrix, n: Matrix): Matrix {
  const out = new Array<number>(9);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) out[r * 3 + c] = m[r * 3]! * n[c]! + m[r * 3 + 1]! * n[3 + c]! + m[r * 3 + 2]! * n[6 + c]!;
  return out as Matrix;
}

/** W3C `feColorMatrix type="saturate"`: keeps luminance, scales distance from grey. */
function saturate(s: number): Matrix {
  return [
    LR + (1 - LR) * s, LG - LG * s, LB - LB * s,
    LR - LR * s, LG + (1 - LG) * s, LB - LB * s,
    LR - LR * s, LG - LG * s, LB + (1 - LB) * s,
  ];
}

/** W3C `feColorMatrix type="hueRotate"`: rotates hue about the grey axis, keeping luminance. */
function hueRotate(degrees: number): Matrix {
  const cos = Math.cos((degrees * Math.PI) / 180), sin = Math.sin((degrees * Math.PI) / 180);
  return [
    LR + cos * (1 - LR) - sin * LR, LG - cos * LG - sin * LG, LB - cos * LB + sin * (1 - LB),
    LR - cos * LR + sin * 0.143, LG + cos * (1 - LG) + sin * 0.14, LB - cos * LB - sin * 0.283,
    LR - cos * LR - sin * (1 - LR), LG - cos * LG + sin * LG, LB + cos * (1 - LB) + sin * LB,
  ];
}

const IDENTITY: Matrix = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/**
 * Hue, saturation, channel shift and brightness folded into one affine colour map. Keras order for
 * the last two: brightness b after the shift s, b (x + s) = b x + b s.
 */
export function colourTransform(j: ColourJitter): ColourTransform | null {
  if (j.hue === 0 && j.saturation === 1 && j.brightness === 1 && j.channelShift === 0) return null;
  let m = IDENTITY;
  if (j.saturation !== 1) m = saturate(j.saturation);
  if (j.hue !== 0) m = multiply(hueRotate(j.hue), m);
  return { matrix: m.map((v) => v * j.brightness) as Matrix, offset: j.brightness * j.channelShift };
}

/** Apply a colour transform in place, rounding and clipping to 0-255. */
export function applyColourTransform(image: DecodedImage, { matrix: m, offset }: ColourTransform): DecodedImage {
  const px = image.data;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = m;
  const clip = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5);
  for (let i = 0; i < px.length; i += 3) {
    const r = px[i]!, g = px[i + 1]!, b = px[i + 2]!;
    px[i] = clip(m0 * r + m1 * g + m2 * b + offset);
    px[i + 1] = clip(m3 * r + m4 * g + m5 * b + offset);
    px[i + 2] = clip(m6 * r + m7 * g + m8 * b + offset);
  }
  return image;
}

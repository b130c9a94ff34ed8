import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { NO_AUGMENTATION } from './augment-options.ts';
import type { AugmentOptions, FillMode } from './augment-options.ts';
import { decodePipeline, toRgb } from './decode.ts';
import type { DecodedImage, DecodeOptions } from './decode.ts';
import { createRng, uniform } from './random.ts';
import type { Rng } from './random.ts';

/** What makes one augmented sample reproducible: same context + image + options -> same bytes. */
export interface AugmentContext {
  /** The run's seed. */
  seed: number;
  /** Epoch number: each epoch draws fresh transforms, as Keras does. Default 0. */
  epoch?: number;
  /** Which augmented copy of the image within the epoch (for caching several variants). Default 0. */
  copy?: number;
}

/** One drawn set of transform parameters (Keras `get_random_transform`). */
export interface SampledTransform {
  /** Rotation, degrees. */
  theta: number;
  /** Shift in pixels along x (columns) and y (rows). */
  shiftX: number;
  shiftY: number;
  /** Shear angle, degrees. */
  shear: number;
  /** Zoom factors along x and y (> 1 zooms out). */
  zoomX: number;
  zoomY: number;
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** Multiplier, 1 = unchanged. */
  brightness: number;
  /** Offset added to every channel. */
  channelShift: number;
  /** Hue rotation, whole degrees (sharp's modulate takes integers). */
  hue: number;
  /** Saturation multiplier. */
  saturation: number;
}

const RAD = Math.PI / 180;

function shiftPixels(range: number, size: number, rng: Rng): number {
  if (range === 0) return 0;
  const r = uniform(rng, -range, range);
  return range < 1 ? r * size : r;
}

/** Draw transform parameters for one image (Keras `ImageDataGenerator.get_random_transform`). */
export function sampleTransform(options: AugmentOptions, rng: Rng, width: number, height: number): SampledTransform {
  const [zLo, zHi] = options.zoomRange;
  const draw = (r: number): number => (r === 0 ? 0 : uniform(rng, -r, r));
  return {
    theta: draw(options.rotationRange),
    shiftX: shiftPixels(options.widthShiftRange, width, rng),
    shiftY: shiftPixels(options.heightShiftRange, height, rng),
    shear: draw(options.shearRange),
    zoomX: zLo === 1 && zHi === 1 ? 1 : uniform(rng, zLo, zHi),
    zoomY: zLo === 1 && zHi === 1 ? 1 : uniform(rng, zLo, zHi),
    flipHorizontal: options.horizontalFlip && rng() < 0.5,
    flipVertical: options.verticalFlip && rng() < 0.5,
    brightness: options.brightnessRange ? uniform(rng, ...options.brightnessRange) : 1,
    channelShift: draw(options.channelShiftRange),
    hue: Math.round(draw(options.hueRange)),
    saturation: options.saturationRange ? uniform(rng, ...options.saturationRange) : 1,
  };
}

/** 2x3 affine [a, b, tx, c, d, ty]: (x, y) -> (a x + b y + tx, c x + d y + ty), pixel-index coordinates. */
export type Affine = [number, number, number, number, number, number];

function compose(m: Affine, n: Affine): Affine {
  const [a, b, e, c, d, f] = m;
  const [p, q, g, r, s, h] = n;
  return [a * p + b * r, a * q + b * s, a * g + b * h + e, c * p + d * r, c * q + d * s, c * g + d * h + f];
}

function invert([a, b, e, c, d, f]: Affine): Affine {
  const det = a * d - b * c;
  return [d / det, -b / det, (b * f - d * e) / det, -c / det, a / det, (c * e - a * f) / det];
}

function isIdentityGeometry(t: SampledTransform): boolean {
  return t.theta === 0 && t.shiftX === 0 && t.shiftY === 0 && t.shear === 0 && t.zoomX === 1 && t.zoomY === 1;
}

/**
 * The output->input map Keras' `apply_affine_transform` builds (rotation · shift · shear · zoom about
 * the image centre, in (row, col) order), followed by the flips, written in (x, y) = (col, row).
 */
export function inverseAffine(t: SampledTransform, width: number, height: number): Affine {
  const th = t.theta * RAD;
  const sh = t.shear * RAD;
  // Keras' row/col matrices, rewritten for (x, y): rows <-> cols swap a<->d and b<->c.
  const rotation: Affine = [Math.cos(th), Math.sin(th), 0, -Math.sin(th), Math.cos(th), 0];
  const shift: Affine = [1, 0, t.shiftX, 0, 1, t.shiftY];
  const shear: Affine = [Math.cos(sh), 0, 0, -Math.sin(sh), 1, 0];
  const zoom: Affine = [t.zoomX, 0, 0, 0, t.zoomY, 0];
  const cx = width / 2 - 0.5;
  const cy = height / 2 - 0.5;
  const centred = compose(compose([1, 0, cx, 0, 1, cy], compose(compose(compose(rotation, shift), shear), zoom)), [1, 0, -cx, 0, 1, -cy]);
  const flips: Affine = [t.flipHorizontal ? -1 : 1, 0, t.flipHorizontal ? width - 1 : 0, 0, t.flipVertical ? -1 : 1, t.flipVertical ? height - 1 : 0];
  return compose(centred, flips);
}

const EXTEND_WITH: Record<FillMode, 'background' | 'copy' | 'mirror' | 'repeat'> = {
  constant: 'background',
  nearest: 'copy',
  reflect: 'mirror',
  wrap: 'repeat',
};

/** Padding that keeps every input pixel the output window samples inside the padded image. */
function paddingFor(inverse: Affine, width: number, height: number): number {
  let over = 0;
  for (const [x, y] of [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]] as const) {
    const ix = inverse[0] * x + inverse[1] * y + inverse[2];
    const iy = inverse[3] * x + inverse[4] * y + inverse[5];
    over = Math.max(over, -ix, ix - (width - 1), -iy, iy - (height - 1));
  }
  return Math.ceil(over) + 2; // +2: bilinear reads one neighbour, and the sub-pixel alignment below moves up to 0.5
}

/** Brightness, channel shift, hue and saturation on a pipeline (one linear + one modulate). */
function applyColour(image: Sharp, t: SampledTransform): Sharp {
  let out = image;
  if (t.hue !== 0 || t.saturation !== 1) out = out.modulate({ hue: t.hue, saturation: t.saturation });
  // Keras order: channel shift, then brightness: b * (x + s) = b x + b s (clipped to 0-255 on output).
  if (t.brightness !== 1 || t.channelShift !== 0) out = out.linear(t.brightness, t.brightness * t.channelShift);
  return out;
}

/**
 * Geometry in one sharp `affine` pass. libvips sizes the affine output to the bounding box of the
 * transformed input (rounded; odx/ody do not move it), so we pad the input first with the fill mode
 * (`extend` does constant/copy/mirror/repeat, which `affine` alone cannot), shift the content by a
 * sub-pixel amount so the wanted window lands on whole pixels, and cut the window out in JS.
 */
async function warp(padded: DecodedImage, pad: number, t: SampledTransform, inverse: Affine, width: number, height: number, cval: number): Promise<DecodedImage> {
  const forward = invert(inverse);
  const [a, b, tx, c, d, ty] = forward;
  // Content position if placed at the box origin: X = A x_p + (t - A·pad).
  const offX = tx - (a + b) * pad;
  const offY = ty - (c + d) * pad;
  const kx = -Math.round(offX);
  const ky = -Math.round(offY);
  const xs = [0, a * padded.width, b * padded.height, a * padded.width + b * padded.height];
  const ys = [0, c * padded.width, d * padded.height, c * padded.width + d * padded.height];
  const left = Math.round(Math.min(...xs));
  const top = Math.round(Math.min(...ys));
  const image = sharp(padded.data, { raw: { width: padded.width, height: padded.height, channels: 3 } }).affine([a, b, c, d], {
    interpolator: sharp.interpolators.bilinear, // Keras: scipy ndimage order=1
    odx: offX + kx,
    ody: offY + ky,
    background: { r: cval, g: cval, b: cval },
  });
  const { data, info } = await applyColour(image, t).raw().toBuffer({ resolveWithObject: true });
  const x0 = kx - left;
  const y0 = ky - top;
  if (x0 < 0 || y0 < 0 || x0 + width > info.width || y0 + height > info.height || info.channels !== 3) {
    throw new Error(`augment: window ${x0},${y0} ${width}x${height} outside affine output ${info.width}x${info.height}x${info.channels}`);
  }
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * info.width + x0) * 3;
    out.set(data.subarray(from, from + width * 3), y * width * 3);
  }
  return { data: out, width, height };
}

/** Per-image random stream: the image's identity (content hash) plus the context. */
function rngFor(imageKey: string, context: AugmentContext): Rng {
  return createRng(`augment:${context.seed}:${context.epoch ?? 0}:${context.copy ?? 0}:${imageKey}`);
}

/**
 * Decode `path` and apply one random augmentation, reproducibly: the same options, context and
 * `imageKey` (use the item's content hash, so renames keep their variants) give identical bytes.
 * Two sharp passes when the geometry changes (decode+resize+pad, then affine+colour), else one.
 */
export async function augmentImage(
  path: string,
  imageKey: string,
  decode: DecodeOptions,
  options: AugmentOptions,
  context: AugmentContext,
): Promise<DecodedImage> {
  const { width, height } = decode;
  const t = sampleTransform(options, rngFor(imageKey, context), width, height);
  if (isIdentityGeometry(t)) {
    // Flips only: sharp mirrors exactly inside the decode pass, so the colour ops join it too.
    return toRgb(path, applyColour(decodePipeline(path, decode, { flop: t.flipHorizontal, flip: t.flipVertical }), t), decode);
  }
  const inverse = inverseAffine(t, width, height);
  const pad = paddingFor(inverse, width, height);
  const grey = `rgb(${options.cval},${options.cval},${options.cval})`;
  const padded = await toRgb(path, decodePipeline(path, decode, { pad: { size: pad, extendWith: EXTEND_WITH[options.fillMode], colour: grey } }), decode);
  return warp(padded, pad, t, inverse, width, height, options.cval);
}

/** True when the options can never change an image (then no variant needs caching). */
export function isNoAugmentation(options: AugmentOptions): boolean {
  const changing = { ...options, fillMode: NO_AUGMENTATION.fillMode, cval: NO_AUGMENTATION.cval };
  return JSON.stringify(changing) === JSON.stringify(NO_AUGMENTATION);
}

/**
 * Stable id of an augmentation variant for the feature cache key (with the image hash and the
 * prefix fingerprint): 'none' when nothing changes images, otherwise a hash of the options, seed,
 * epoch and copy. Bump the `v` field if the augmentation code changes its output.
 */
export function augmentationVariant(options: AugmentOptions, context: AugmentContext): string {
  if (isNoAugmentation(options)) return 'none';
  const keys = Object.keys(options).sort() as Array<keyof AugmentOptions>;
  const canonical = JSON.stringify({ v: 1, options: keys.map((k) => [k, options[k]]), seed: context.seed, epoch: context.epoch ?? 0, copy: context.copy ?? 0 });
  return `aug1-${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

import { createHash } from 'node:crypto';
import { NO_AUGMENTATION } from './augment-options.ts';
import type { AugmentOptions } from './augment-options.ts';
import { applyColourTransform, colourTransform } from './colour.ts';
import { decodeImage } from './decode.ts';
import type { DecodedImage, DecodeOptions } from './decode.ts';
import { createRng, uniform } from './random.ts';
import type { Rng } from './random.ts';
import { warpBilinear } from './warp.ts';
import type { Affine } from './warp.ts';

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
  /** Hue rotation, degrees. */
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
    hue: draw(options.hueRange),
    saturation: options.saturationRange ? uniform(rng, ...options.saturationRange) : 1,
  };
}

function compose(m: Affine, n: Affine): Affine {
  const [a, b, e, c, d, f] = m;
  const [p, q, g, r, s, h] = n;
  return [a * p + b * r, a * q + b * s, a * g + b * h + e, c * p + d * r, c * q + d * s, c * g + d * h + f];
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

/** Per-image random stream: the image's identity (content hash) plus the context. */
function rngFor(imageKey: string, context: AugmentContext): Rng {
  return createRng(`augment:${context.seed}:${context.epoch ?? 0}:${context.copy ?? 0}:${imageKey}`);
}

/**
 * Decode `path` and apply one random augmentation, reproducibly: the same options, context and
 * `imageKey` (use the item's content hash, so renames keep their variants) give identical bytes.
 * One decode resizes to the target size (flips join it when they are the only geometry); the affine warp and the colour map then run as tight loops on those small raw pixels.
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
  const flipsOnly = isIdentityGeometry(t);
  const extras = flipsOnly ? { flop: t.flipHorizontal, flip: t.flipVertical } : {};
  const decoded = await decodeImage(path, decode, extras);
  const warped = flipsOnly ? decoded : warpBilinear(decoded, inverseAffine(t, width, height), options.fillMode, options.cval);
  const colour = colourTransform(t);
  return colour ? applyColourTransform(warped, colour) : warped;
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
  const canonical = JSON.stringify({ v: 2, options: keys.map((k) => [k, options[k]]), seed: context.seed, epoch: context.epoch ?? 0, copy: context.copy ?? 0 });
  return `aug1-${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

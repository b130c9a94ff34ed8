import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import type { Metadata, Sharp } from 'sharp';
import { UserError } from '../errors.ts';
import { missingFileReason } from './unreadable.ts';

/** How an image is fitted to the network's input size. */
export type ResizeMode = 'squash' | 'crop' | 'pad';

/** sharp's own default pixel limit (0x3FFF squared): bigger inputs are refused before decoding. */
export const DEFAULT_PIXEL_LIMIT = 0x3fff * 0x3fff;

export interface DecodeOptions {
  /** Output width in pixels. Required. */
  width: number;
  /** Output height in pixels. Required. */
  height: number;
  /**
   * `squash` stretches to the size ignoring aspect, like Keras `load_img(target_size=...)`, with
   * nearest-neighbour sampling as Keras' default `interpolation='nearest'`; `crop` scales to cover
   * then takes the centre; `pad` scales to fit and pads with `background`. Default: squash.
   */
  resize?: ResizeMode;
  /** Colour that transparent pixels are flattened onto, and `pad` fills with. Default '#000000'. */
  background?: string;
  /** Images with more pixels than this are rejected with a reason instead of decoded. Default sharp's 268,402,689. */
  limitInputPixels?: number;
}

/** Decoded pixels: 8-bit RGB, row-major HWC. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** An image file that cannot be used, with the reason in words. */
export class ImageDecodeError extends UserError {
  override name = 'ImageDecodeError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`image ${path}: ${reason}`);
  }
}

const FIT = { squash: 'fill', crop: 'cover', pad: 'contain' } as const;

/** Extra geometry/colour steps the augmenter adds to the same sharp pipeline (saves a pass). */
export interface PipelineExtras {
  /** Mirror horizontally / vertically (before resizing; exact for symmetric resizes). */
  flop?: boolean;
  flip?: boolean;
}

/**
 * The decode pipeline: first frame only, EXIF orientation applied, alpha flattened onto the
 * background, converted to 8-bit sRGB (CMYK, grayscale and 16-bit inputs included), resized.
 * `failOn: 'warning'` makes truncated files fail here rather than train on grey blocks.
 */
export function decodePipeline(path: string, options: DecodeOptions, extras: PipelineExtras = {}): Sharp {
  const background = options.background ?? '#000000';
  let image = sharp(path, { failOn: 'warning', limitInputPixels: options.limitInputPixels ?? DEFAULT_PIXEL_LIMIT, pages: 1 })
    .rotate()
    .flatten({ background })
    .toColourspace('srgb');
  if (extras.flop) image = image.flop();
  if (extras.flip) image = image.flip();
  image = image.resize(options.width, options.height, { fit: FIT[options.resize ?? 'squash'], kernel: 'nearest', background });
  return image.removeAlpha();
}

/** Turn sharp's terse messages into a reason a user can act on. */
async function explainFailure(path: string, err: unknown, options: DecodeOptions): Promise<ImageDecodeError> {
  const message = err instanceof Error ? err.message : String(err);
  const size = await stat(path).then((s) => s.size).catch(() => undefined);
  if (size === undefined) return new ImageDecodeError(path, await missingFileReason(path));
  if (size === 0) return new ImageDecodeError(path, 'empty file (0 bytes)');
  if (/unsupported image format/i.test(message)) {
    return new ImageDecodeError(path, 'not an image format sharp can read (the extension may be wrong, or it is not an image)');
  }
  if (/pixel limit/i.test(message)) {
    const limit = options.limitInputPixels ?? DEFAULT_PIXEL_LIMIT;
    const meta = await sharp(path, { limitInputPixels: false }).metadata().catch(() => undefined);
    const dims = meta?.width && meta.height ? `${meta.width}x${meta.height} = ${meta.width * meta.height} pixels` : 'too many pixels';
    return new ImageDecodeError(path, `image is ${dims}, over the pixel limit of ${limit}; downscale it before training`);
  }
  if (/premature|truncat|corrupt|end of|invalid|bad|not a/i.test(message)) {
    // libvips words this differently with thread timing; the reason must not vary between runs.
    return new ImageDecodeError(path, 'truncated or corrupt image data');
  }
  return new ImageDecodeError(path, `cannot be decoded (${message.split('\n')[0]})`);
}

/** Run a decode pipeline to raw RGB bytes, converting any failure into an ImageDecodeError. */
export async function toRgb(path: string, pipeline: Sharp, options: DecodeOptions): Promise<DecodedImage> {
  try {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (err) {
    throw await explainFailure(path, err, options);
  }
}

/**
 * Decode any image sharp reads into upright sRGB RGB bytes at the requested size.
 * Throws ImageDecodeError (a UserError) naming the file and the reason when it cannot.
 */
export async function decodeImage(path: string, options: DecodeOptions): Promise<DecodedImage> {
  return toRgb(path, decodePipeline(path, options), options);
}

/** What `probeImage` learns about a readable file. */
export interface ImageInfo {
  /** Container format as sharp names it (jpeg, png, gif, webp, tiff, ...). */
  format: string;
  /** Upright size in pixels (EXIF orientation 5-8 swaps width and height). */
  width: number;
  height: number;
}

/**
 * Check that a file decodes completely through the same pipeline training uses (so "readable"
 * means the same thing in `check` and in training) and report its format and upright size.
 */
export async function probeImage(path: string, options: Omit<DecodeOptions, 'width' | 'height'> = {}): Promise<ImageInfo> {
  const small = { ...options, width: 16, height: 16 };
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: options.limitInputPixels ?? DEFAULT_PIXEL_LIMIT }).metadata();
  } catch (err) {
    throw await explainFailure(path, err, small);
  }
  await decodeImage(path, small);
  const swap = (meta.orientation ?? 1) >= 5;
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  return { format: meta.format ?? 'unknown', width: swap ? height : width, height: swap ? width : height };
}

import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import type { Metadata, Sharp } from 'sharp';
import { UserError } from '../errors.ts';
import { PIL_FILTERS, pilResize, type PilFilter, type RgbPixels } from './pil-resize.ts';

/**
 * How an image becomes the network's input size. Keras modes (`nearest`, `bilinear`, `bicubic`,
 * `hamming`, `box`, `lanczos`) are Keras `load_img(path, target_size=..., interpolation=MODE)`
 * bit for bit: Pillow's decode (embedded ICC profiles and EXIF orientation ignored, L/LA/P/RGBA/CMYK
 * converted to RGB by Pillow's rules) and Pillow's resampling, stretched to the size. sharp modes
 * decode to upright sRGB (EXIF applied, ICC converted): `squash` stretches, `crop` scales to cover
 * and takes the centre, `pad` scales to fit and pads with the background.
 */
export type ResizeMode = 'squash' | 'crop' | 'pad' | PilFilter;

/** Every resize mode, Keras's first. */
export const RESIZE_MODES: readonly ResizeMode[] = [...PIL_FILTERS, 'squash', 'crop', 'pad'];

/**
 * The default: Keras `load_img(path, target_size=(224, 224))`, i.e. Pillow nearest. Keras's
 * VGG16 documentation classifies and extracts features with exactly that call, so it is what
 * `decode_predictions` results with the official weights are quoted on (see docs/keras-decode.md).
 */
export const DEFAULT_RESIZE: ResizeMode = 'nearest';

/** True for the modes that reproduce Keras `load_img` (Pillow) rather than decode with sharp. */
export function isKerasResize(mode: ResizeMode): mode is PilFilter {
  return (PIL_FILTERS as readonly string[]).includes(mode);
}

/** sharp's own default pixel limit (0x3FFF squared): bigger inputs are refused before decoding. */
export const DEFAULT_PIXEL_LIMIT = 0x3fff * 0x3fff;

export interface DecodeOptions {
  /** Output width in pixels. Required. */
  width: number;
  /** Output height in pixels. Required. */
  height: number;
  /** How the image is fitted to the size (see ResizeMode). Default: DEFAULT_RESIZE (Keras `load_img`). */
  resize?: ResizeMode;
  /** sharp modes: colour that transparent pixels are flattened onto, and `pad` fills with (Keras modes drop alpha, as Pillow does). Default '#000000'. */
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

/** Open `path` for decoding: first frame only; `failOn: 'warning'` fails truncated files here rather than train on grey blocks. */
function openImage(path: string, options: DecodeOptions, ignoreIcc = false): Sharp {
  return sharp(path, { failOn: 'warning', limitInputPixels: options.limitInputPixels ?? DEFAULT_PIXEL_LIMIT, pages: 1, ignoreIcc });
}

/**
 * The sharp decode pipeline: EXIF orientation applied, alpha flattened onto the background,
 * converted to 8-bit sRGB (CMYK, grayscale and 16-bit inputs included), resized.
 */
function decodePipeline(path: string, options: DecodeOptions & { resize: 'squash' | 'crop' | 'pad' }, extras: PipelineExtras = {}): Sharp {
  const background = options.background ?? '#000000';
  let image = openImage(path, options)
    .rotate()
    .flatten({ background })
    .toColourspace('srgb');
  if (extras.flop) image = image.flop();
  if (extras.flip) image = image.flip();
  image = image.resize(options.width, options.height, { fit: FIT[options.resize], kernel: 'nearest', background });
  return image.removeAlpha();
}

/** Turn sharp's terse messages into a reason a user can act on. */
async function explainFailure(path: string, err: unknown, options: DecodeOptions): Promise<ImageDecodeError> {
  const message = err instanceof Error ? err.message : String(err);
  const size = await stat(path).then((s) => s.size).catch(() => undefined);
  if (size === undefined) return new ImageDecodeError(path, 'file not found or not readable');
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
    return new ImageDecodeError(path, `truncated or corrupt image data (${message.split('\n')[0]})`);
  }
  return new ImageDecodeError(path, `cannot be decoded (${message.split('\n')[0]})`);
}

/** Pillow's CMYK -> RGB: `255 - k - c * (255 - k) / 255`, its rounded integer division included. */
function cmykToRgb(cmyk: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const inverseK = 255 - cmyk[i * 4 + 3]!;
    for (let c = 0; c < 3; c++) {
      const t = cmyk[i * 4 + c]! * inverseK + 128;
      out[i * 3 + c] = Math.max(0, inverseK - ((t + (t >> 8)) >> 8));
    }
  }
  return out;
}

/**
 * The image as Pillow's `Image.open(path).convert('RGB')` holds it: no ICC transform, no EXIF
 * rotation, alpha dropped (not composited), palettes expanded, CMYK by Pillow's formula, 16-bit
 * grey clipped at 255. sharp's libjpeg-turbo/libpng/libnsgif decode the same bytes as Pillow's.
 */
async function pillowRgb(path: string, options: DecodeOptions): Promise<RgbPixels> {
  const meta = await openImage(path, options, true).metadata();
  if (meta.space === 'cmyk') {
    const { data, info } = await openImage(path, options, true).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
    return { data: cmykToRgb(data, info.width * info.height), width: info.width, height: info.height };
  }
  if (meta.space === 'grey16') {
    const { data, info } = await openImage(path, options, true).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const grey = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
    const rgb = new Uint8Array(grey.length * 3);
    for (let i = 0; i < grey.length; i++) rgb.fill(Math.min(255, grey[i]!), i * 3, i * 3 + 3);
    return { data: rgb, width: info.width, height: info.height };
  }
  // sharp's raw output is sRGB-interpreted 8-bit: grey comes back replicated, palettes expanded.
  const { data, info } = await openImage(path, options, true).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  const rgb = new Uint8Array(info.width * info.height * 3);
  for (let i = 0; i < info.width * info.height; i++) rgb.set(data.subarray(i * info.channels, i * info.channels + 3), i * 3);
  return { data: rgb, width: info.width, height: info.height };
}

/** Mirror raw RGB in place of a second sharp pass (augmentation flips in Keras modes). */
function flipRgb(image: DecodedImage, { flop = false, flip = false }: PipelineExtras): DecodedImage {
  if (!flop && !flip) return image;
  const { width, height } = image;
  const out = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = ((flip ? height - 1 - y : y) * width + (flop ? width - 1 - x : x)) * 3;
      out.set(image.data.subarray(from, from + 3), (y * width + x) * 3);
    }
  }
  return { data: out, width, height };
}

/**
 * Decode any image sharp reads into RGB bytes at the requested size: Keras `load_img` exactly in
 * Keras modes, upright sRGB in sharp modes (see ResizeMode). `extras` mirrors the result (after
 * resizing in Keras modes, before it in sharp modes; the same for symmetric resizes).
 * Throws ImageDecodeError (a UserError) naming the file and the reason when it cannot.
 */
export async function decodeImage(path: string, options: DecodeOptions, extras: PipelineExtras = {}): Promise<DecodedImage> {
  const resize = options.resize ?? DEFAULT_RESIZE;
  try {
    if (isKerasResize(resize)) return flipRgb(pilResize(await pillowRgb(path, options), options.width, options.height, resize), extras);
    const { data, info } = await decodePipeline(path, { ...options, resize }, extras).raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (err) {
    throw await explainFailure(path, err, options);
  }
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

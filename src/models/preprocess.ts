import * as tf from '@tensorflow/tfjs';
import { decodeImage, DEFAULT_RESIZE, type ResizeMode } from '../data/decode.ts';
import { UserError } from '../errors.ts';
import { IMAGENET_BGR_MEANS } from './vgg16-spec.ts';

/**
 * How images become network input, as plain data: stored with a trained model and reused at
 * prediction time so both sides see identical pixels.
 */
export interface Preprocessing {
  /** Keras `preprocess_input` mode; VGG16 uses "caffe" (RGB->BGR, subtract ImageNet BGR means). */
  mode: 'caffe';
  /** Network input `[height, width]`. */
  size: [number, number];
  /** How an image is fitted to `size`; `nearest` (the default) is Keras `load_img(target_size=...)`. */
  resize: ResizeMode;
}

/** VGG16's ImageNet preprocessing: caffe mode, 224x224, decoded exactly as Keras `load_img(target_size=(224, 224))`. */
export const VGG16_PREPROCESSING: Preprocessing = { mode: 'caffe', size: [224, 224], resize: DEFAULT_RESIZE };

/** Interleaved RGB values on the 0..255 scale: decoded bytes, or the values of an int32/float32 tensor. */
export type RgbValues = Uint8Array | Int32Array | Float32Array;

/** The BGR means as float32 values: every subtraction below is then exactly tfjs's float32 one. */
const MEANS = IMAGENET_BGR_MEANS.map(Math.fround) as [number, number, number];

function requireRgb(length: number, name: string): void {
  if (length % 3 !== 0) throw new UserError(`${name} expects interleaved RGB values, got ${length} values (not a multiple of 3).`);
}

function requireRgbLast(x: tf.Tensor, name: string): void {
  const channels = x.shape[x.shape.length - 1];
  if (channels !== 3) throw new UserError(`${name} expects 3 RGB channels last, got shape [${x.shape.join(', ')}].`);
}

/**
 * THE caffe preprocessing (Keras `preprocess_input`, mode "caffe"): flip RGB to BGR and subtract the
 * ImageNet BGR channel means, no scaling; into float32 `out` from `offset`. Every path into a
 * network goes through it, tensors included (`preprocessInput`). Plain loops: a tensor round trip on
 * the wasm backend cost as much per image as the int8 network itself.
 */
export function caffeInput(rgb: RgbValues, out: Float32Array = new Float32Array(rgb.length), offset = 0): Float32Array {
  requireRgb(rgb.length, 'caffeInput');
  const [b, g, r] = MEANS;
  for (let i = 0; i < rgb.length; i += 3) {
    out[offset + i] = rgb[i + 2]! - b;
    out[offset + i + 1] = rgb[i + 1]! - g;
    out[offset + i + 2] = rgb[i]! - r;
  }
  return out;
}

/** The inverse of {@link caffeInput}: RGB on the 0..255 scale (not clipped or rounded). */
export function caffeToRgb(values: Float32Array): Float32Array {
  requireRgb(values.length, 'caffeToRgb');
  const [b, g, r] = MEANS;
  const rgb = new Float32Array(values.length);
  for (let i = 0; i < values.length; i += 3) {
    rgb[i] = values[i + 2]! + r;
    rgb[i + 1] = values[i + 1]! + g;
    rgb[i + 2] = values[i]! + b;
  }
  return rgb;
}

/** The pixel op for a preprocessing record's `mode` (the one training applied). */
export function preprocessPixels(preprocessing: Preprocessing): (rgb: RgbValues) => Float32Array {
  switch (preprocessing.mode) {
    case 'caffe':
      return (rgb) => caffeInput(rgb);
  }
}

/**
 * Keras `preprocess_input` in caffe mode on a tensor of RGB in [0, 255], shape [..., 3] (one image
 * or a batch): {@link caffeInput} on its values, as a new float32 tensor of the same shape. A data
 * transform, as on Keras's numpy arrays: no gradient flows through it.
 */
export function preprocessInput(x: tf.Tensor): tf.Tensor {
  return preprocessFor(VGG16_PREPROCESSING)(x);
}

/** The tensor op for a preprocessing record's `mode` (any rank, RGB last), e.g. for `streamBatches`' `preprocess`. */
export function preprocessFor(preprocessing: Preprocessing): <T extends tf.Tensor>(x: T) => T {
  const pixels = preprocessPixels(preprocessing);
  return <T extends tf.Tensor>(x: T): T => {
    requireRgbLast(x, `${preprocessing.mode} preprocessing`);
    return tf.tensor(pixels(x.dataSync() as RgbValues), x.shape, 'float32') as T;
  };
}

/**
 * Network input from decoded pixels: interleaved RGB (bytes from `decodeImage`, or values on the
 * 0..255 scale) of `n` images of `height` x `width`, as one preprocessed `[n, height, width, 3]` batch.
 */
export function pixelsToInput(pixels: RgbValues, [n, height, width]: readonly [number, number, number], preprocessing: Preprocessing = VGG16_PREPROCESSING): tf.Tensor4D {
  return tf.tensor4d(preprocessPixels(preprocessing)(pixels), [n, height, width, 3], 'float32');
}

/** Decode and preprocess image files into one `[n, height, width, 3]` float32 batch. */
export async function imagesToTensor(paths: readonly string[], preprocessing: Preprocessing = VGG16_PREPROCESSING): Promise<tf.Tensor4D> {
  const [height, width] = preprocessing.size;
  const pixels = new Uint8Array(paths.length * height * width * 3);
  const resize = preprocessing.resize;
  // decodeImage throws an ImageDecodeError (a UserError) naming the file for anything unreadable.
  for (const [i, path] of paths.entries()) pixels.set((await decodeImage(path, { width, height, resize })).data, i * height * width * 3);
  return pixelsToInput(pixels, [paths.length, height, width], preprocessing);
}

/** Decode and preprocess one image file into a `[1, height, width, 3]` tensor. */
export function imageToTensor(path: string, preprocessing: Preprocessing = VGG16_PREPROCESSING): Promise<tf.Tensor4D> {
  return imagesToTensor([path], preprocessing);
}

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

function requireRgbLast(x: tf.Tensor, name: string): void {
  const channels = x.shape[x.shape.length - 1];
  if (channels !== 3) throw new UserError(`${name} expects 3 RGB channels last, got shape [${x.shape.join(', ')}].`);
}

/**
 * Keras `preprocess_input` in caffe mode on float RGB in [0, 255], shape [..., 3] (one image or a
 * batch): flip to BGR, then subtract the ImageNet BGR channel means. No scaling, as in Keras. The one
 * definition of caffe preprocessing: everything that feeds a network goes through it.
 */
export function preprocessInput(x: tf.Tensor): tf.Tensor {
  requireRgbLast(x, 'preprocessInput');
  return tf.tidy(() => tf.sub(tf.reverse(tf.cast(x, 'float32'), -1), tf.tensor1d([...IMAGENET_BGR_MEANS])));
}

/** The inverse of {@link preprocessInput}: caffe-mode input back to RGB on the 0..255 scale (not clipped). */
export function deprocessInput(x: tf.Tensor): tf.Tensor {
  requireRgbLast(x, 'deprocessInput');
  return tf.tidy(() => tf.reverse(tf.add(x, tf.tensor1d([...IMAGENET_BGR_MEANS])), -1));
}

/** The tensor op for a preprocessing record's `mode` (the one training applied). */
export function preprocessFor(preprocessing: Preprocessing): (x: tf.Tensor4D) => tf.Tensor4D {
  switch (preprocessing.mode) {
    case 'caffe':
      return (x) => preprocessInput(x) as tf.Tensor4D;
  }
}

/**
 * Network input from decoded pixels: row-major RGB (bytes from `decodeImage`, or floats on the 0..255
 * scale) of `n` images of `height` x `width`, as one preprocessed `[n, height, width, 3]` float32 batch.
 */
export function pixelsToInput(pixels: Uint8Array | Float32Array, [n, height, width]: readonly [number, number, number], preprocessing: Preprocessing = VGG16_PREPROCESSING): tf.Tensor4D {
  const preprocess = preprocessFor(preprocessing);
  return tf.tidy(() => preprocess(tf.tensor4d(pixels, [n, height, width, 3], pixels instanceof Uint8Array ? 'int32' : 'float32')));
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

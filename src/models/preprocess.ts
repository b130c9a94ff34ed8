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

/**
 * Keras `preprocess_input` in caffe mode on float RGB in [0, 255], shape [..., 3] (one image or a
 * batch): flip to BGR, then subtract the ImageNet BGR channel means. No scaling, as in Keras.
 */
export function preprocessInput(x: tf.Tensor): tf.Tensor {
  const channels = x.shape[x.shape.length - 1];
  if (channels !== 3) throw new UserError(`preprocessInput expects 3 RGB channels last, got shape [${x.shape.join(', ')}].`);
  return tf.tidy(() => tf.sub(tf.reverse(tf.cast(x, 'float32'), -1), tf.tensor1d([...IMAGENET_BGR_MEANS])));
}

/**
 * The same caffe preprocessing on interleaved RGB bytes, into a float32 array: what the feature
 * engines take. Plain loops, because a tensor round trip on the wasm backend cost as much per image
 * as the int8 network itself. Bit-identical to `preprocessInput`: each value is one float32
 * subtraction of the float32 mean.
 */
export function caffeInput(rgb: Uint8Array, out: Float32Array = new Float32Array(rgb.length), offset = 0): Float32Array {
  if (rgb.length % 3 !== 0) throw new UserError(`caffeInput expects interleaved RGB bytes, got ${rgb.length} values (not a multiple of 3).`);
  const [b, g, r] = IMAGENET_BGR_MEANS.map(Math.fround) as [number, number, number];
  for (let i = 0; i < rgb.length; i += 3) {
    out[offset + i] = rgb[i + 2]! - b;
    out[offset + i + 1] = rgb[i + 1]! - g;
    out[offset + i + 2] = rgb[i]! - r;
  }
  return out;
}

/** Decode and preprocess image files into one `[n, height, width, 3]` float32 batch. */
export async function imagesToTensor(paths: readonly string[], preprocessing: Preprocessing = VGG16_PREPROCESSING): Promise<tf.Tensor4D> {
  const [height, width] = preprocessing.size;
  const pixels = new Float32Array(paths.length * height * width * 3);
  const resize = preprocessing.resize;
  // decodeImage throws an ImageDecodeError (a UserError) naming the file for anything unreadable.
  for (const [i, path] of paths.entries()) pixels.set((await decodeImage(path, { width, height, resize })).data, i * height * width * 3);
  return tf.tidy(() => preprocessInput(tf.tensor4d(pixels, [paths.length, height, width, 3])) as tf.Tensor4D);
}

/** Decode and preprocess one image file into a `[1, height, width, 3]` tensor. */
export function imageToTensor(path: string, preprocessing: Preprocessing = VGG16_PREPROCESSING): Promise<tf.Tensor4D> {
  return imagesToTensor([path], preprocessing);
}

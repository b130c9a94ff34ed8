/**
 * Grad-CAM (Selvaraju et al. 2017): where in the image the evidence for a class lies. The class
 * score's gradient with respect to a conv layer's feature maps, averaged over positions, weights
 * each map; the ReLU of the weighted sum, upsampled and colour-mapped, is blended over the image.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { colourAt } from './colormap.ts';
import type { Canvas, RgbImage } from './compose.ts';
import { applyLayers, chainLayers, checkIndices } from './layers.ts';

/** Options of {@link gradCam}. */
export interface GradCamOptions {
  /** Conv layer whose feature maps are weighted. Default: the last Conv2D (block5_conv3 in VGG16). */
  layer?: string;
  /** Class to explain. Default: the top predicted class. */
  classIndex?: number;
}

/** A Grad-CAM map and the prediction it explains. */
export interface GradCamResult {
  layer: string;
  classIndex: number;
  /** The model's probability (its output) for `classIndex`. */
  probability: number;
  /** The model's whole output row. */
  probabilities: Float32Array;
  /** ReLU of the weighted feature maps, scaled so the maximum is 1 (all zeros when no position supports the class). */
  heatmap: Float32Array;
  height: number;
  width: number;
}

/** The last Conv2D before the output: Grad-CAM's usual layer. */
function lastConv(layers: readonly tf.layers.Layer[]): string {
  const conv = layers.findLast((l) => l.getClassName() === 'Conv2D');
  if (conv === undefined) throw new UserError('The model has no Conv2D layer for Grad-CAM; pass --layer with a layer that outputs feature maps.');
  return conv.name;
}

/**
 * The class score as a function of the feature maps: the logit before a final softmax (as the
 * paper does — softmax probabilities saturate), otherwise the output itself.
 */
function scoreFn(suffix: readonly tf.layers.Layer[], classIndex: number): (maps: tf.Tensor) => tf.Scalar {
  const last = suffix.at(-1);
  const softmaxDense = last?.getClassName() === 'Dense' && last.getConfig().activation === 'softmax';
  return (maps) => {
    if (!softmaxDense) return tf.squeeze(tf.slice(applyLayers(suffix, maps), [0, classIndex], [1, 1])) as tf.Scalar;
    const [kernel, bias] = last.getWeights() as [tf.Tensor2D, tf.Tensor1D | undefined];
    const h = applyLayers(suffix.slice(0, -1), maps) as tf.Tensor2D;
    const k = tf.slice(kernel, [0, classIndex], [kernel.shape[0], 1]);
    const logit = tf.matMul(h, k);
    return tf.squeeze(bias === undefined ? logit : tf.add(logit, tf.slice(bias, [classIndex], [1]))) as tf.Scalar;
  };
}

/** Grad-CAM for one preprocessed image `[1, h, w, 3]` on a model that ends in class scores. */
export function gradCam(model: tf.LayersModel, input: tf.Tensor4D, options: GradCamOptions = {}): GradCamResult {
  const layers = chainLayers(model);
  const layer = options.layer ?? lastConv(layers);
  const cut = layers.findIndex((l) => l.name === layer);
  if (cut < 0) throw new UserError(`Model "${model.name}" has no layer "${layer}"; expected one of: ${layers.map((l) => l.name).join(', ')}.`);
  const prefix = layers.slice(0, cut + 1);
  const suffix = layers.slice(cut + 1);
  if (suffix.length === 0) throw new UserError(`Layer "${layer}" is the model's output; Grad-CAM needs a conv layer before the class scores.`);

  const maps = tf.tidy(() => applyLayers(prefix, input));
  try {
    if (maps.rank !== 4) throw new UserError(`Layer "${layer}" outputs shape [${maps.shape.join(', ')}], not feature maps; pick a conv layer (e.g. block5_conv3).`);
    const output = tf.tidy(() => applyLayers(suffix, maps));
    const probabilities = output.dataSync() as Float32Array;
    output.dispose();
    if (output.rank !== 2) throw new UserError(`Model "${model.name}" outputs shape [${output.shape.join(', ')}], not class scores.`);
    const classIndex =
      options.classIndex === undefined
        ? probabilities.indexOf(Math.max(...probabilities))
        : checkIndices([options.classIndex], probabilities.length, 'classes', layers.at(-1)!.name)[0]!;
    const cam = tf.tidy(() => {
      const grads = tf.grad(scoreFn(suffix, classIndex))(maps);
      const weights = tf.mean(grads, [1, 2], true);
      const raw = tf.relu(tf.sum(tf.mul(maps, weights), -1));
      const peak = tf.max(raw);
      return tf.where(tf.greater(peak, 0), tf.div(raw, tf.maximum(peak, 1e-12)), tf.zerosLike(raw));
    });
    const heatmap = cam.dataSync() as Float32Array;
    cam.dispose();
    const [, height = 0, width = 0] = maps.shape;
    return { layer, classIndex, probability: probabilities[classIndex]!, probabilities, heatmap, height, width };
  } finally {
    maps.dispose();
  }
}

/** How the heatmap is drawn over the image. */
export interface GradCamCanvasOptions {
  /** Heatmap opacity over the image. Default: 0.45. */
  alpha?: number;
  /** Text drawn in a band at the top (e.g. the class and probability). Default: none. */
  label?: string;
}

/** The heatmap upsampled bilinearly to `width`x`height`. */
export function upsampleHeatmap(result: GradCamResult, width: number, height: number): Float32Array {
  return tf.tidy(() =>
    tf.image.resizeBilinear(tf.tensor4d(result.heatmap, [1, result.height, result.width, 1]), [height, width], true).dataSync() as Float32Array,
  );
}

/** The Grad-CAM heatmap (jet) blended over `image`, at the image's size. */
export function gradCamCanvas(image: RgbImage, result: GradCamResult, options: GradCamCanvasOptions = {}): Canvas {
  const alpha = options.alpha ?? 0.45;
  const heat = upsampleHeatmap(result, image.width, image.height);
  const data = new Uint8Array(image.data.length);
  for (let p = 0; p < heat.length; p++) {
    const colour = colourAt('jet', heat[p]!);
    for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.round((1 - alpha) * image.data[p * 3 + c]! + alpha * colour[c]!);
  }
  const texts = options.label === undefined ? [] : [{ text: options.label, x: 4, y: 15, size: 12, colour: '#fff', band: true }];
  return { width: image.width, height: image.height, images: [{ image: { ...image, data }, x: 0, y: 0 }], texts };
}

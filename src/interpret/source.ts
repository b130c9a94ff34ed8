/**
 * What the visualize commands look at: a VGG16 weights file or a training run directory, and an
 * image prepared exactly as that model expects (kept as RGB for display too).
 */
import { stat } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { decodeImage } from '../data/decode.ts';
import { UserError } from '../errors.ts';
import { pixelsToInput, VGG16_PREPROCESSING, type Preprocessing } from '../models/preprocess.ts';
import { vgg16, vgg16Prefix } from '../models/vgg16.ts';
import { loadRun, type LoadedRun } from '../training/run-dir.ts';
import type { RgbImage } from './compose.ts';

/** A model to look inside, with how its inputs are made. */
export interface InterpretSource {
  model: tf.LayersModel;
  preprocessing: Preprocessing;
  /** Class names by output index for a run; null for a VGG16 weights file (ImageNet classes). */
  classNames: readonly string[] | null;
  /** The loaded run when `weights` was a run directory. */
  run: LoadedRun | null;
}

/** What part of VGG16 to build when `weights` is a file (a run always loads whole). */
export interface SourceNeeds {
  /** Build VGG16 only up to this layer (enough for kernels, activations, maximize). Default: the whole base. */
  layer?: string;
  /** Build with the top (fc1, fc2, predictions at 224x224), for Grad-CAM on ImageNet classes. Default: false. */
  top?: boolean;
  /** Input side for a prefix without the top. Default: 224. */
  inputSize?: number;
}

/** Open `--weights FILE|RUN_DIR`: a directory is loaded as a run, a file as VGG16 Keras weights. */
export async function openSource(weights: string, needs: SourceNeeds = {}): Promise<InterpretSource> {
  const info = await stat(weights).catch(() => {
    throw new UserError(`--weights ${weights} not found; pass a VGG16 Keras .h5 file (e.g. from \`transferkit init-weights\`) or a run directory.`);
  });
  if (info.isDirectory()) {
    const run = await loadRun(weights);
    return { model: run.model, preprocessing: run.preprocessing, classNames: run.classes, run };
  }
  if (needs.top) return { model: await vgg16({ includeTop: true, weights }), preprocessing: VGG16_PREPROCESSING, classNames: null, run: null };
  const side = needs.inputSize ?? VGG16_PREPROCESSING.size[0];
  const model = await vgg16Prefix(needs.layer ?? 'block5_pool', { inputShape: [side, side, 3], weights });
  return { model, preprocessing: { ...VGG16_PREPROCESSING, size: [side, side] }, classNames: null, run: null };
}

/** An image as the model sees it (`input`, preprocessed `[1, h, w, 3]`) and as a person does (`rgb`). */
export interface PreparedImage {
  rgb: RgbImage;
  input: tf.Tensor4D;
}

/** Decode `path` at the model's input size and preprocess it; the caller disposes `input`. */
export async function prepareImage(path: string, preprocessing: Preprocessing): Promise<PreparedImage> {
  const [height, width] = preprocessing.size;
  const rgb = await decodeImage(path, { width, height, resize: preprocessing.resize });
  const input = pixelsToInput(rgb.data, [1, height, width], preprocessing);
  return { rgb, input };
}

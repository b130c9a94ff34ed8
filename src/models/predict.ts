import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { readKerasFile } from '../keras/index.ts';
import type { KerasFile } from '../keras/types.ts';
import { decodePredictions, defaultClassIndexPath, loadClassIndex, type DecodedPrediction } from './imagenet.ts';
import { imagesToTensor, VGG16_PREPROCESSING, type Preprocessing } from './preprocess.ts';
import { vgg16 } from './vgg16.ts';
import { VGG16_BASE } from './vgg16-spec.ts';

/** How `classifyImages` feeds images through a model. */
export interface ClassifyOptions {
  /** Decode/resize/normalise recipe; must match what the model was trained with. Default: VGG16's ImageNet one. */
  preprocessing?: Preprocessing;
  /** Images per forward pass (memory vs. overhead). Default: 8. */
  batchSize?: number;
}

/** Run `model` on image files in batches; one output row per image, in order. Leaves no tensors behind. */
export async function classifyImages(model: tf.LayersModel, paths: readonly string[], options: ClassifyOptions = {}): Promise<Float32Array[]> {
  const { preprocessing = VGG16_PREPROCESSING, batchSize = 8 } = options;
  const rows: Float32Array[] = [];
  for (let start = 0; start < paths.length; start += batchSize) {
    const x = await imagesToTensor(paths.slice(start, start + batchSize), preprocessing);
    const y = tf.tidy(() => model.predict(x) as tf.Tensor);
    x.dispose();
    const data = (await y.data()) as Float32Array;
    const width = y.shape.slice(1).reduce((a, b) => a * b, 1);
    y.dispose();
    for (let i = 0; i * width < data.length; i++) rows.push(data.slice(i * width, (i + 1) * width));
  }
  return rows;
}

/** `predictImagenet` arguments. */
export interface PredictImagenetOptions {
  /** Keras HDF5 file with VGG16 weights including the top (path or an already read file). Required. */
  weights: string | KerasFile;
  /** `imagenet_class_index.json`-format labels. Default: {@link defaultClassIndexPath}. */
  labels?: string;
  /** Classes reported per image. Default: 5. */
  top?: number;
  /** Images per forward pass. Default: 8. */
  batchSize?: number;
}

/** The top classes for one image. */
export interface ImagePrediction {
  image: string;
  predictions: DecodedPrediction[];
}

/** Units of the file's last weighted layer (its bias length): the class count the top was trained for. */
function classesInFile(file: KerasFile): number {
  const weighted = file.layers.filter((l) => l.weights.length > 0);
  if (weighted.length <= VGG16_BASE.filter((l) => l.kind === 'conv').length) {
    throw new UserError(`${file.path} holds no classifier layers (fc1, fc2, predictions); predict needs VGG16 weights with the top, not a "notop" file.`);
  }
  return weighted.at(-1)?.weights.at(-1)?.shape[0] ?? 1000;
}

/** VGG16 with the top from a weights file, run on image files: Keras's classic `decode_predictions` demo. */
export async function predictImagenet(images: readonly string[], options: PredictImagenetOptions): Promise<ImagePrediction[]> {
  const { labels = defaultClassIndexPath(), top = 5, batchSize } = options;
  const classIndex = loadClassIndex(labels); // before the slow load: a missing label file fails fast
  const file = typeof options.weights === 'string' ? await readKerasFile(options.weights) : options.weights;
  const classes = classesInFile(file);
  if (classes !== classIndex.length) {
    throw new UserError(`${file.path} predicts ${classes} classes but ${labels} names ${classIndex.length}; pass the matching --labels file.`);
  }
  const model = await vgg16({ weights: file, classes });
  try {
    const probs = await classifyImages(model, images, { batchSize });
    return decodePredictions(probs, top, classIndex).map((predictions, i) => ({ image: images[i]!, predictions }));
  } finally {
    model.dispose();
  }
}

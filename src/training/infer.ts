import * as tf from '@tensorflow/tfjs';
import { streamBatches } from '../data/batches.ts';
import type { DatasetItem } from '../data/dataset.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import { UserError } from '../errors.ts';
import { createOnnxModelEngine, resolveEngine, type EngineChoice, type PrefixEngine } from '../models/engines/index.ts';
import { preprocessInput, type Preprocessing } from '../models/preprocess.ts';

/** Options of `inferImages`. */
export interface InferOptions {
  /** Images per forward pass. Default: 16. */
  batchSize?: number;
  /**
   * `onnx`: the model converted in memory and run on onnxruntime (~5x faster on CPU); `tfjs`: the
   * model itself; `auto`: onnx when onnxruntime-node loads and the converter handles every layer,
   * else tfjs. Default: auto.
   */
  engine?: EngineChoice;
}

export type { UnreadableImage };

/** Class probabilities for the readable images, in input order. */
export interface InferResult {
  /** The images that were decoded, in input order (unreadable ones left out). */
  items: DatasetItem[];
  /** `probabilities[i]`: the model's output row for `items[i]`. */
  probabilities: Float32Array[];
  unreadable: UnreadableImage[];
  /** The engine that ran (`onnx`, or `tfjs-` + backend). */
  engine: string;
}

const INFER_DEFAULTS: Required<InferOptions> = { batchSize: 16, engine: 'auto' };

/** The model on onnxruntime, or undefined where it runs on tfjs (chosen, or `auto` falling back). */
async function onnxEngineFor(model: tf.LayersModel, preprocessing: Preprocessing, choice: EngineChoice): Promise<PrefixEngine | undefined> {
  if ((await resolveEngine(choice)) === 'tfjs') return undefined;
  try {
    const [height, width] = preprocessing.size;
    if (height !== width) throw new UserError(`the onnx engine runs square inputs; this model takes ${width}x${height} images. Use --engine tfjs.`);
    return await createOnnxModelEngine(model, { inputSize: height, docString: 'transferkit run model (in memory)' });
  } catch (err) {
    // A layer the converter cannot express still runs on tfjs, just slower.
    if (choice === 'auto' && err instanceof UserError) return undefined;
    throw err;
  }
}

/** Probabilities of one preprocessed batch (disposed here); n x classes, row-major. */
async function predictBatch(model: tf.LayersModel, onnx: PrefixEngine | undefined, xs: tf.Tensor4D): Promise<Float32Array> {
  if (onnx !== undefined) {
    const n = xs.shape[0];
    let pixels: Float32Array;
    try {
      pixels = (await xs.data()) as Float32Array;
    } finally {
      xs.dispose();
    }
    return onnx.run(pixels, n);
  }
  let y: tf.Tensor;
  try {
    y = tf.tidy(() => model.predict(xs) as tf.Tensor);
  } finally {
    xs.dispose();
  }
  try {
    return (await y.data()) as Float32Array;
  } finally {
    y.dispose();
  }
}

/** The tensor op for a preprocessing record's `mode` (the one training applied). */
function preprocessFor(preprocessing: Preprocessing): (x: tf.Tensor4D) => tf.Tensor4D {
  switch (preprocessing.mode) {
    case 'caffe':
      return (x) => preprocessInput(x) as tf.Tensor4D;
  }
}

/**
 * Run a stitched model over image files with exactly the recorded preprocessing (input size, resize
 * mode, caffe normalisation), batch by batch. Unreadable files are reported, not fatal. Leaves no tensors.
 */
export async function inferImages(model: tf.LayersModel, items: readonly DatasetItem[], preprocessing: Preprocessing, options: InferOptions = {}): Promise<InferResult> {
  const { batchSize, engine } = { ...INFER_DEFAULTS, ...options };
  const [height, width] = preprocessing.size;
  const classes = model.outputs[0]!.shape[1]!;
  const onnx = await onnxEngineFor(model, preprocessing, engine);
  const result: InferResult = { items: [], probabilities: [], unreadable: [], engine: onnx?.name ?? `tfjs-${tf.getBackend()}` };
  try {
    for await (const batch of streamBatches(items, {
      numClasses: 1,
      labels: 'index',
      batchSize,
      width,
      height,
      resize: preprocessing.resize,
      preprocess: preprocessFor(preprocessing),
      onUnreadable: (item, error) => result.unreadable.push({ path: item.path, reason: error.reason }),
    })) {
      batch.ys.dispose();
      const data = await predictBatch(model, onnx, batch.xs);
      for (let i = 0; i < batch.items.length; i++) result.probabilities.push(data.slice(i * classes, (i + 1) * classes));
      result.items.push(...batch.items);
    }
  } finally {
    await onnx?.dispose();
  }
  return result;
}

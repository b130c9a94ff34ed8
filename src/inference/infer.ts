import * as tf from '@tensorflow/tfjs';
import { streamBatches } from '../data/batches.ts';
import type { DatasetItem } from '../data/dataset.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import { UserError } from '../errors.ts';
import { modelWeights } from '../keras/index.ts';
import type { KerasFile } from '../keras/types.ts';
import { createEngine, createStitchedModelEngine, resolveEngine, type EngineChoice, type Int8Ranges, type PrefixEngine, type StitchedModelEngine } from '../models/engines/index.ts';
import { preprocessFor, type Preprocessing } from '../models/preprocess.ts';
import { defaultOf, engineSchema } from '../options/pieces.ts';

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
  /**
   * Run the frozen prefix up to `cut` as this int8 graph (from the model's own weights) and the
   * rest of the model on tfjs: what a run trained on int8 features must predict with. Ignored with
   * the tfjs engine (int8 runs on onnxruntime only). Default: none (the whole model in fp32).
   */
  int8Prefix?: { cut: string; ranges: Int8Ranges };
}

/** The int8 prefix a run trained on (none for fp32 runs and for runs without a frozen cut). */
export function runInt8Prefix(run: { int8?: Int8Ranges; description?: { plan: { cut: string | null } } }): InferOptions['int8Prefix'] {
  const cut = run.description?.plan.cut;
  return run.int8 && cut ? { cut, ranges: run.int8 } : undefined;
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

const INFER_DEFAULTS = { batchSize: 16, engine: defaultOf(engineSchema) } as const satisfies InferOptions;

/** The int8 prefix engine and the rest of `model` after `cut` (sharing its layers) on tfjs. */
interface SplitModel {
  prefix: PrefixEngine;
  rest: tf.LayersModel;
}

async function splitModel(model: tf.LayersModel, cut: string, ranges: Int8Ranges, inputSize: number): Promise<SplitModel> {
  const file: KerasFile = { path: 'the run model (in memory)', format: 'legacy-weights', layers: modelWeights(model) };
  const prefix = await createEngine({ weights: file, cut, inputSize, engine: 'onnx', int8: ranges });
  const at = model.layers.findIndex((l) => l.name === cut);
  const input = tf.input({ shape: model.layers[at]!.outputShape.slice(1) as number[] });
  const rest = tf.model({ inputs: input, outputs: model.layers.slice(at + 1).reduce((x, l) => l.apply(x) as tf.SymbolicTensor, input) });
  return { prefix, rest };
}

/** A tensor's values; the tensor is disposed whatever happens. */
async function consume(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

async function predictSplit(split: SplitModel, xs: tf.Tensor4D): Promise<Float32Array> {
  const n = xs.shape[0];
  const features = await split.prefix.run(await consume(xs), n);
  return consume(tf.tidy(() => split.rest.predict(tf.tensor(features, [n, ...split.prefix.outputShape])) as tf.Tensor));
}

/** The model on onnxruntime, or undefined where it runs on tfjs (chosen, or `auto` falling back). */
async function onnxEngineFor(model: tf.LayersModel, preprocessing: Preprocessing, choice: EngineChoice): Promise<StitchedModelEngine | undefined> {
  if ((await resolveEngine(choice)) === 'tfjs') return undefined;
  try {
    const [height, width] = preprocessing.size;
    if (height !== width) throw new UserError(`the onnx engine runs square inputs; this model takes ${width}x${height} images. Use --engine tfjs.`);
    return await createStitchedModelEngine(model, { inputSize: height, docString: 'transferkit run model (in memory)' });
  } catch (err) {
    // A layer the converter cannot express still runs on tfjs, just slower.
    if (choice === 'auto' && err instanceof UserError) return undefined;
    throw err;
  }
}

/** Probabilities of one preprocessed batch (disposed here); n x classes, row-major. */
async function predictBatch(model: tf.LayersModel, onnx: StitchedModelEngine | undefined, xs: tf.Tensor4D): Promise<Float32Array> {
  const n = xs.shape[0];
  if (onnx !== undefined) return onnx.run(await consume(xs), n);
  let y: tf.Tensor;
  try {
    y = tf.tidy(() => model.predict(xs) as tf.Tensor);
  } finally {
    xs.dispose();
  }
  return consume(y);
}

/**
 * Run a stitched model over image files with exactly the recorded preprocessing (input size, resize
 * mode, caffe normalisation), batch by batch. Unreadable files are reported, not fatal. Leaves no tensors.
 */
export async function inferImages(model: tf.LayersModel, items: readonly DatasetItem[], preprocessing: Preprocessing, options: InferOptions = {}): Promise<InferResult> {
  const { batchSize, engine } = { ...INFER_DEFAULTS, ...options };
  const [height, width] = preprocessing.size;
  const classes = model.outputs[0]!.shape[1]!;
  const int8 = options.int8Prefix && (await resolveEngine(engine)) === 'onnx' ? options.int8Prefix : undefined;
  const split = int8 ? await splitModel(model, int8.cut, int8.ranges, height) : undefined;
  const onnx = split ? undefined : await onnxEngineFor(model, preprocessing, engine);
  const engineName = split ? `${split.prefix.name} + tfjs-${tf.getBackend()}` : (onnx?.name ?? `tfjs-${tf.getBackend()}`);
  const result: InferResult = { items: [], probabilities: [], unreadable: [], engine: engineName };
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
      const data = split ? await predictSplit(split, batch.xs) : await predictBatch(model, onnx, batch.xs);
      for (let i = 0; i < batch.items.length; i++) result.probabilities.push(data.slice(i * classes, (i + 1) * classes));
      result.items.push(...batch.items);
    }
  } finally {
    await onnx?.dispose();
    await split?.prefix.dispose();
    split?.rest.dispose();
  }
  return result;
}

/**
 * `createEngine`: the frozen VGG16 prefix behind one interface, on onnxruntime or tfjs. Both are
 * built from the same tfjs prefix model (VGG16 spec + our weights), so they compute the same
 * function; ONNX just runs it ~10x faster on CPU.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendPreference } from '../../backend/index.ts';
import { UserError, describeError } from '../../errors.ts';
import { readKerasFile } from '../../keras/index.ts';
import type { KerasFile } from '../../keras/types.ts';
import { optionalDependencyVersion } from '../../version.ts';
import { vgg16Prefix } from '../vgg16.ts';
import { layersModelToOnnx } from './layers-to-onnx.ts';
import { createOnnxEngine, loadOnnxRuntime } from './onnx-engine.ts';
import { createTfjsEngine } from './tfjs-engine.ts';
import type { EngineAvailability, EngineChoice, EngineName, PrefixEngine } from './types.ts';

export type { EngineAvailability, EngineChoice, EngineName, PrefixEngine } from './types.ts';
export { exportOnnx, layersModelToOnnx } from './layers-to-onnx.ts';
export { onnxProviders } from './onnx-engine.ts';

export interface CreateEngineOptions {
  /** VGG16 weights: a Keras HDF5 path or an already read file (at least the layers up to `cut`). */
  weights: KerasFile | string;
  /** Last layer of the frozen prefix (Keras name). Default: `block5_pool`. */
  cut?: string;
  /** Square input side in pixels. Default: 224. */
  inputSize?: number;
  /** Which engine; `auto` = onnx when onnxruntime-node loads, else tfjs. Default: auto. */
  engine?: EngineChoice;
  /** tfjs backend (for the tfjs engine, and to hold weights while exporting). Default: initBackend's choice. */
  backend?: BackendPreference;
  /** onnxruntime intra-op threads. Default: every core. */
  threads?: number;
  /** onnxruntime: idle intra-op workers spin instead of sleeping (see onnx-engine.ts). Default: false. */
  spinning?: boolean;
}

export const ENGINE_DEFAULTS = { cut: 'block5_pool', inputSize: 224, engine: 'auto' } as const satisfies Partial<CreateEngineOptions>;

async function onnxLoads(): Promise<boolean> {
  try {
    await loadOnnxRuntime();
    return true;
  } catch {
    return false;
  }
}

/** The engine `auto` resolves to on this machine. */
export async function resolveEngine(choice: EngineChoice): Promise<EngineName> {
  if (choice !== 'auto') return choice;
  return (await onnxLoads()) ? 'onnx' : 'tfjs';
}

/** Build the prefix `block1_conv1 … cut` from `weights` on the chosen engine. */
export async function createEngine(options: CreateEngineOptions): Promise<PrefixEngine> {
  const { cut, inputSize, engine: choice } = { ...ENGINE_DEFAULTS, ...options };
  const engine = await resolveEngine(choice);
  await initBackend(options.backend);
  const weights = typeof options.weights === 'string' ? await readKerasFile(options.weights) : options.weights;
  // vgg16Prefix refuses a file that leaves any prefix layer without weights.
  const model = await vgg16Prefix(cut, { inputShape: [inputSize, inputSize, 3], weights });
  if (engine === 'tfjs') return createTfjsEngine(model, inputSize, model.outputs[0]!.shape.slice(1) as number[]);
  try {
    return await createOnnxModelEngine(model, { inputSize, docString: `VGG16 prefix up to ${cut} at ${inputSize}x${inputSize}`, threads: options.threads, spinning: options.spinning });
  } finally {
    model.dispose();
  }
}

/** Options of `createOnnxModelEngine`. */
export interface OnnxModelEngineOptions {
  /** Square input side in pixels (the model's input is NHWC `inputSize` x `inputSize` x 3). */
  inputSize: number;
  /** Description stored in the in-memory ONNX model. Default: the converter's. */
  docString?: string;
  /** onnxruntime intra-op threads. Default: every core. */
  threads?: number;
  /** onnxruntime: idle intra-op workers spin instead of sleeping. Default: false. */
  spinning?: boolean;
}

/**
 * Any chain-of-layers image model (a VGG16 prefix, or a run's stitched model ending in softmax)
 * converted in memory and run on onnxruntime. The caller keeps owning `model`: the session holds
 * its own copy of the weights. Throws UserError for layers the converter cannot express.
 */
export async function createOnnxModelEngine(model: tf.LayersModel, options: OnnxModelEngineOptions): Promise<PrefixEngine> {
  const bytes = layersModelToOnnx(model, { docString: options.docString });
  const outputShape = model.outputs[0]!.shape.slice(1) as number[];
  return createOnnxEngine({ model: bytes, inputSize: options.inputSize, outputShape, threads: options.threads, spinning: options.spinning });
}

/**
 * Why onnxruntime-node does not load. npm drops this optional dependency when its install script
 * cannot download the CUDA provider (offline, or NuGet unreachable): say how to get the CPU engine.
 */
function onnxMissing(err: unknown): string {
  if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') return `onnxruntime-node does not load: ${describeError(err)}`;
  const pin = optionalDependencyVersion('onnxruntime-node');
  return `onnxruntime-node is not installed (npm drops it when its install script cannot download CUDA files); \`ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node${pin ? `@${pin}` : ''}\` adds the CPU engine`;
}

/** Which engines run here and why not (for `doctor`). */
export async function availableEngines(): Promise<EngineAvailability[]> {
  let onnx: EngineAvailability;
  try {
    const ort = await loadOnnxRuntime();
    onnx = { engine: 'onnx', available: true, detail: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}` };
  } catch (err) {
    onnx = { engine: 'onnx', available: false, detail: onnxMissing(err) };
  }
  return [onnx, { engine: 'tfjs', available: true, detail: `tfjs ${tf.version_core}` }];
}

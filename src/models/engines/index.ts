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
import { VGG16_LAYER_NAMES, vgg16LayerIndex } from '../vgg16-spec.ts';
import { layersModelToOnnx, ONNX_OUTPUT } from './layers-to-onnx.ts';
import { createOnnxEngine, loadOnnxRuntime } from './onnx-engine.ts';
import { prefixGraph, prefixLayers, type Int8Ranges, type PrefixLayer } from './prefix-graph.ts';
import { createTfjsEngine } from './tfjs-engine.ts';
import type { EngineAvailability, EngineChoice, EngineName, PrefixEngine, StitchedModelEngine } from './types.ts';

export type { EngineAvailability, EngineChoice, EngineName, NetworkEngine, PrefixEngine, StitchedModelEngine } from './types.ts';
export { exportOnnx, layersModelToOnnx } from './layers-to-onnx.ts';
export { onnxProviders } from './onnx-engine.ts';
export type { Int8Ranges } from './prefix-graph.ts';

export interface CreateEngineOptions {
  /** VGG16 weights: a Keras HDF5 path or an already read file (at least the layers up to `cut`). */
  weights: KerasFile | string;
  /** Last layer of the frozen prefix (Keras name). Default: `block5_pool`. */
  cut?: string;
  /** More cuts answered from the same forward pass (`runAll`), conv-base layers only. Default: none. */
  extraCuts?: readonly string[];
  /** Run the onnx engine as an int8 QDQ graph with these calibrated ranges. Default: fp32. */
  int8?: Int8Ranges;
  /** onnxruntime: write the optimised graph here (tests check it runs QLinearConv). Default: none. */
  optimizedModelFilePath?: string;
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

/** `cut` then the extra cuts, each once: the order `runAll` answers in. */
function engineCuts(cut: string, extra: readonly string[] = []): string[] {
  return [...new Set([cut, ...extra])];
}

/**
 * Build the prefix `block1_conv1 … cut` from `weights` on the chosen engine. With `extraCuts`, the
 * prefix runs to the deepest cut and answers every cut from one pass.
 */
export async function createEngine(options: CreateEngineOptions): Promise<PrefixEngine> {
  const { cut, inputSize, engine: choice } = { ...ENGINE_DEFAULTS, ...options };
  const cuts = engineCuts(cut, options.extraCuts);
  const engine = await resolveEngine(choice);
  if (options.int8 && engine !== 'onnx') throw new UserError('int8 features need the onnx engine (onnxruntime-node); use --precision fp32 with --engine tfjs');
  await initBackend(options.backend);
  const weights = typeof options.weights === 'string' ? await readKerasFile(options.weights) : options.weights;
  const base = new Set<string>(VGG16_LAYER_NAMES);
  if (cuts.length > 1 && !cuts.every((c) => base.has(c))) throw new UserError(`several cuts in one pass must all be conv-base layers (block1_conv1 … block5_pool), got ${cuts.join(', ')}`);
  const deepest = cuts.reduce((a, b) => (vgg16LayerIndex(b) > vgg16LayerIndex(a) ? b : a));
  if (engine === 'onnx' && base.has(cut)) {
    const layers = await baseLayers(weights, deepest);
    const shapes = baseShapes(layers, inputSize);
    const bytes = prefixGraph(layers, { inputSize, outputs: cuts, int8: options.int8 });
    const outputs = cuts.map((c) => ({ name: c, shape: shapes.get(c)! }));
    return createOnnxEngine({ model: bytes, inputSize, outputs, precision: options.int8 ? 'int8' : 'fp32', threads: options.threads, spinning: options.spinning, optimizedModelFilePath: options.optimizedModelFilePath });
  }
  // vgg16Prefix refuses a file that leaves any prefix layer without weights.
  const model = await vgg16Prefix(deepest, { inputShape: [inputSize, inputSize, 3], weights });
  if (engine === 'tfjs') return createTfjsEngine(model, inputSize, cuts);
  try {
    return await onnxEngineOf(model, { inputSize, docString: `VGG16 prefix up to ${cut} at ${inputSize}x${inputSize}`, threads: options.threads, spinning: options.spinning }, cut);
  } finally {
    model.dispose();
  }
}

/**
 * The conv base's layers up to `deepest` with their weights copied out, kept per file object:
 * `readKerasFile` hands a run the same object for ~30 s, and a run builds up to three engines from
 * it (calibration, guard, extraction), where building the tfjs prefix on wasm and copying its
 * weights back out cost ~0.5 s each time.
 */
const baseLayersByFile = new WeakMap<KerasFile, Map<string, Promise<PrefixLayer[]>>>();

function baseLayers(weights: KerasFile, deepest: string): Promise<PrefixLayer[]> {
  let byCut = baseLayersByFile.get(weights);
  if (!byCut) baseLayersByFile.set(weights, (byCut = new Map()));
  let layers = byCut.get(deepest);
  if (!layers) {
    // vgg16Prefix refuses a file that leaves any prefix layer without weights.
    layers = vgg16Prefix(deepest, { weights }).then((model) => {
      try {
        return prefixLayers(model);
      } finally {
        model.dispose();
      }
    });
    layers.catch(() => byCut.delete(deepest));
    byCut.set(deepest, layers);
  }
  return layers;
}

/** Per-image NHWC output shape of each conv-base layer at `inputSize`: convs keep the side (same padding), 2x2 pools halve it (floor). */
function baseShapes(layers: readonly PrefixLayer[], inputSize: number): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  let side = inputSize;
  let channels = 3;
  for (const layer of layers) {
    if (layer.kind === 'pool') side = Math.floor(side / 2);
    else channels = layer.kernel!.dims[0]!;
    shapes.set(layer.name, [side, side, channels]);
  }
  return shapes;
}

/** Options of `createStitchedModelEngine`. */
export interface StitchedModelEngineOptions {
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
 * A chain-of-layers image model converted in memory and run on onnxruntime, answering at `cut` (its
 * last layer). The caller keeps owning `model`: the session holds its own copy of the weights.
 * Throws UserError for layers the converter cannot express.
 */
function onnxEngineOf(model: tf.LayersModel, options: StitchedModelEngineOptions, cut: string): Promise<PrefixEngine> {
  const bytes = layersModelToOnnx(model, { docString: options.docString });
  const outputs = [{ name: ONNX_OUTPUT, shape: model.outputs[0]!.shape.slice(1) as number[], cut }];
  return createOnnxEngine({ model: bytes, inputSize: options.inputSize, outputs, threads: options.threads, spinning: options.spinning });
}

/**
 * A run's stitched model (ending in softmax) on onnxruntime, converted in memory; the caller keeps
 * owning `model`. Throws UserError for layers the converter cannot express (run it on tfjs then).
 */
export function createStitchedModelEngine(model: tf.LayersModel, options: StitchedModelEngineOptions): Promise<StitchedModelEngine> {
  return onnxEngineOf(model, options, model.layers.at(-1)!.name);
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

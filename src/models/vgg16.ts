import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { UsageError, UserError } from '../errors.ts';
import { parseOrThrow } from '../util/validate.ts';
import { loadWeights, type LoadReport } from '../keras/index.ts';
import type { KerasFile } from '../keras/types.ts';
import { VGG16_KERNEL_SIZE, VGG16_TOP_INPUT_SIDE, vgg16Layers, type Vgg16Layer } from './vgg16-spec.ts';

/** Keras `VGG16(...)` arguments. */
export interface Vgg16Options {
  /** Keep `flatten`, `fc1`, `fc2`, `predictions` (Keras `include_top`). Default: true. */
  includeTop?: boolean;
  /** `[height, width, 3]`; 224x224x3 with the top, each side >= 32 without. Default: [224, 224, 3]. */
  inputShape?: [number, number, number];
  /** Global pooling after `block5_pool`, only without the top (Keras `pooling`). Default: 'none'. */
  pooling?: 'none' | 'avg' | 'max';
  /** Units of `predictions`; any count is allowed, as Keras allows with `weights=None`. Default: 1000. */
  classes?: number;
  /** Keras HDF5 weights (path or an already read file) loaded after building. Default: none (glorot init). */
  weights?: string | KerasFile;
}

/** Smallest side Keras accepts for VGG16 without the top (five 2x2 pools leave 1x1). */
export const VGG16_MIN_SIDE = 32;

const side = z.number().int().min(1);
const optionsSchema = z
  .object({
    includeTop: z.boolean().default(true),
    inputShape: z.tuple([side, side, side]).default([VGG16_TOP_INPUT_SIDE, VGG16_TOP_INPUT_SIDE, 3]),
    pooling: z.enum(['none', 'avg', 'max']).default('none'),
    classes: z.number().int().min(1).default(1000),
    weights: z.union([z.string().min(1), z.custom<KerasFile>((v) => typeof v === 'object' && v !== null)]).optional(),
  })
  .strict();

/** Options after defaults and validation. */
export type ResolvedVgg16Options = z.output<typeof optionsSchema>;

/** Validate `options` once, apply defaults, and reject the combinations Keras rejects (UsageErrors). */
export function resolveVgg16Options(options: Vgg16Options = {}): ResolvedVgg16Options {
  const o = parseOrThrow(optionsSchema, options, 'VGG16 options');
  const [h, w, c] = o.inputShape;
  if (c !== 3) throw new UsageError(`VGG16 inputShape must have 3 channels (RGB), got [${o.inputShape.join(', ')}].`);
  if (o.includeTop && (h !== VGG16_TOP_INPUT_SIDE || w !== VGG16_TOP_INPUT_SIDE)) {
    throw new UsageError(
      `VGG16 with the top needs inputShape [224, 224, 3] (fc1 expects 7x7x512 features), got [${o.inputShape.join(', ')}]; ` +
        'use includeTop: false (--no-top) for other sizes.',
    );
  }
  if (h < VGG16_MIN_SIDE || w < VGG16_MIN_SIDE) {
    throw new UsageError(`VGG16 input must be at least ${VGG16_MIN_SIDE}x${VGG16_MIN_SIDE}, got ${h}x${w}.`);
  }
  if (o.includeTop && o.pooling !== 'none') {
    throw new UsageError(`VGG16 pooling '${o.pooling}' applies only without the top; use includeTop: false (--no-top).`);
  }
  return o;
}

/** The Keras layer list these options describe. */
function specFor(o: ResolvedVgg16Options): Vgg16Layer[] {
  return vgg16Layers({ includeTop: o.includeTop, classes: o.classes, pooling: o.pooling === 'none' ? undefined : o.pooling });
}

/** Keras initialises kernels glorot-uniform; when weights will overwrite them, zeros skip the cost. */
type KernelInit = 'glorotUniform' | 'zeros';

function toTfLayer(layer: Vgg16Layer, kernelInitializer: KernelInit): tf.layers.Layer {
  switch (layer.kind) {
    case 'conv':
      return tf.layers.conv2d({
        name: layer.name,
        filters: layer.filters,
        kernelSize: VGG16_KERNEL_SIZE,
        padding: 'same',
        activation: 'relu',
        kernelInitializer,
      });
    case 'pool':
      return tf.layers.maxPooling2d({ name: layer.name, poolSize: 2, strides: 2 });
    case 'flatten':
      return tf.layers.flatten({ name: layer.name });
    case 'dense':
      return tf.layers.dense({ name: layer.name, units: layer.units, activation: layer.activation, kernelInitializer });
    case 'global-pool':
      return layer.mode === 'avg'
        ? tf.layers.globalAveragePooling2d({ name: layer.name })
        : tf.layers.globalMaxPooling2d({ name: layer.name });
  }
}

function buildFromSpec(layers: readonly Vgg16Layer[], o: ResolvedVgg16Options): tf.LayersModel {
  const kernelInit: KernelInit = o.weights === undefined ? 'glorotUniform' : 'zeros';
  const input = tf.input({ shape: o.inputShape, name: 'input_1' });
  let x = input;
  for (const layer of layers) x = toTfLayer(layer, kernelInit).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'vgg16' });
}

/** The VGG16 architecture with Keras's layer names and shapes; no weights loaded. */
export function buildVgg16(options: Vgg16Options = {}): tf.LayersModel {
  const o = resolveVgg16Options(options);
  return buildFromSpec(specFor(o), o);
}

/** Keras `VGG16(...)`: build the architecture and load `weights` when given (by position, as Keras does). */
export async function vgg16(options: Vgg16Options = {}): Promise<tf.LayersModel> {
  const o = resolveVgg16Options(options);
  const model = buildFromSpec(specFor(o), o);
  if (o.weights !== undefined) await loadOrDispose(model, o.weights, false);
  return model;
}

/**
 * VGG16 up to and including the layer named `cut` (e.g. `block5_pool` for bottleneck features,
 * `block3_pool` for the slice strategy). The top is included only when `cut` lies in it. Weights,
 * when given, load by layer name so a full file fills the prefix; a file that leaves any prefix layer
 * without weights (other layer names: not VGG16 weights) is refused, never run on zero kernels.
 */
export async function vgg16Prefix(cut: string, options: Omit<Vgg16Options, 'includeTop' | 'pooling'> = {}): Promise<tf.LayersModel> {
  const full = vgg16Layers({ includeTop: true, classes: options.classes ?? 1000 });
  const end = full.findIndex((l) => l.name === cut);
  if (end < 0) throw new UserError(`Unknown VGG16 layer '${cut}' to cut at; expected one of ${full.map((l) => l.name).join(', ')}.`);
  const inTop = full[end]?.kind === 'flatten' || full[end]?.kind === 'dense';
  const o = resolveVgg16Options({ ...options, includeTop: inTop });
  const model = buildFromSpec(full.slice(0, end + 1), o);
  if (o.weights !== undefined) await loadOrDispose(model, o.weights, true);
  return model;
}

async function loadOrDispose(model: tf.LayersModel, weights: string | KerasFile, byName: boolean): Promise<void> {
  try {
    requireEveryLayer(model, await loadWeights(model, weights, { byName }));
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * Loading by name skips layers the file lacks (Keras `by_name` semantics); a VGG16 with a silently
 * uninitialised layer would compute garbage, so refuse it. The report is the loader's own matching
 * (Keras 3 paths included), so there is one answer to "which stored layer is block1_conv1".
 */
function requireEveryLayer(model: tf.LayersModel, report: LoadReport): void {
  const loaded = new Set(report.loaded.map((l) => l.layer));
  const missing = model.layers.filter((l) => l.weights.length > 0 && !loaded.has(l.name)).map((l) => l.name);
  if (missing.length > 0) {
    throw new UserError(
      `${report.file}: no weights for layer(s) ${missing.join(', ')} of VGG16 (the file's layers have other names or shapes); ` +
        'expected a VGG16 weights file (e.g. from transferkit fetch-weights or transferkit init-weights)',
    );
  }
}

import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { buildLayer, SUPPORTED_LAYER_CLASSES, type KernelInit } from './config-layers.ts';
import { kerasSnakeCase } from './keras3-paths.ts';

/**
 * Rebuild a tfjs model from a Keras model config: `model_config` of a legacy full-model `.h5` (Keras
 * 1/2, tf-keras, Keras 3) or `config.json` of a `.keras` archive. Only whitelisted layer classes are
 * built; anything else (Lambda, custom classes) is refused by name, nothing in the file is executed.
 * The model comes back with fresh weights; load the file's weights with `loadWeights`.
 */

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/**
 * Modules of Keras's own classes: Keras 3 and Keras 2 (`keras.src.models.functional`,
 * `keras.layers`), tf_keras (`tf_keras.src.engine.functional`) and tf.keras.
 */
const KERAS_MODULE = /^(keras|tf_keras|tensorflow\.keras|tensorflow\.python\.keras)(\.|$)/;
/** Keras 3 records a `keras.ops` call on a tensor (`ops.add(x, 1.0)`) as a layer from these modules. */
const KERAS_OPS_MODULE = /^keras(\.src)?\.ops(\.|$)/;

/** A layer entry as Keras writes it; unknown keys (module, build_config, …) are ignored. */
const layerEntrySchema = z.looseObject({
  class_name: z.string(),
  config: z.unknown(),
  name: z.string().optional(),
  module: z.string().nullish(),
  registered_name: z.string().nullish(),
  inbound_nodes: z.array(z.unknown()).optional(),
});
type LayerEntry = z.infer<typeof layerEntrySchema>;

/** `[layer_name, node_index, tensor_index]`, the way Functional configs name a tensor. */
const tensorRefSchema = z.tuple([z.string(), z.number().int(), z.number().int()]).rest(z.unknown());

const functionalSchema = z.looseObject({
  name: z.string().optional(),
  layers: z.array(z.unknown()),
  input_layers: z.array(z.unknown()),
  output_layers: z.array(z.unknown()),
});

interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

export interface ModelConfigOptions {
  /** What to call the config in error messages (usually the file path). Default: `'model config'`. */
  source?: string;
  /**
   * How Conv2D/Dense kernels start: 'random' (tfjs's glorot default, for a model you will train) or
   * 'zeros' (when weights are loaded over every layer next; drawing VGG16's 138M random values
   * takes ~15 s). Default: 'random'.
   */
  kernelInit?: KernelInit;
}

/** What every builder needs besides the entry. */
interface BuildContext {
  source: string;
  kernelInit: KernelInit;
}

/** Build the model a Keras config describes. Throws a UserError naming the first unsupported thing. */
export function modelFromKerasConfig(config: unknown, options: ModelConfigOptions = {}): tf.LayersModel {
  const ctx: BuildContext = { source: options.source ?? 'model config', kernelInit: options.kernelInit ?? 'random' };
  const { source } = ctx;
  const entry = parseEntry(config, source, 'the model');
  if (!MODEL_CLASSES.has(entry.class_name)) {
    throw new UserError(
      `${source}: the model is a '${entry.class_name}'; transferkit rebuilds only Sequential and Functional models ` +
        '(a subclassed Keras model is Python code). Save its weights with save_weights and load them into a model built here.',
    );
  }
  return buildModel(entry, ctx);
}

function parseEntry(raw: unknown, source: string, what: string): LayerEntry {
  const parsed = layerEntrySchema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(`${source}: ${what} is not a Keras layer entry ({class_name, config}); is this a Keras model file?`);
  }
  const entry = parsed.data;
  const name = entry.name ?? configName(entry.config) ?? entry.class_name;
  if (entry.module != null && KERAS_OPS_MODULE.test(entry.module)) {
    throw new UserError(
      `${source}: layer '${name}' is the Keras op keras.ops.${kerasSnakeCase(entry.class_name)} (module ${entry.module}), ` +
        'a function applied to tensors that transferkit cannot express; replace it with a built-in Keras layer ' +
        `(supported: ${SUPPORTED_LAYER_CLASSES.join(', ')}) and save again.`,
    );
  }
  // Keras 3 marks classes from outside Keras with their package; a look-alike name must not pass.
  const foreign = (entry.module != null && !KERAS_MODULE.test(entry.module)) ||
    (entry.registered_name != null && entry.registered_name !== entry.class_name);
  if (foreign) {
    throw new UserError(
      `${source}: layer '${name}' is a custom class '${entry.registered_name ?? entry.class_name}' (module ${entry.module ?? '?'}); ` +
        'custom Python classes are never executed. Rebuild the model from built-in Keras layers.',
    );
  }
  return entry;
}

function configName(config: unknown): string | undefined {
  const name = (config as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function buildModel(entry: LayerEntry, ctx: BuildContext): tf.LayersModel {
  return entry.class_name === 'Sequential' ? buildSequential(entry, ctx) : buildFunctional(entry, ctx);
}

/** Any layer entry, models included (Keras nests Sequential/Functional models as layers). */
function buildAny(entry: LayerEntry, ctx: BuildContext): tf.layers.Layer {
  if (MODEL_CLASSES.has(entry.class_name)) return buildModel(entry, ctx);
  return buildLayer(entry.class_name, entry.config, ctx.source, ctx.kernelInit);
}

function buildSequential(entry: LayerEntry, ctx: BuildContext): tf.LayersModel {
  const { source } = ctx;
  // Keras <= 2.1 wrote a Sequential's config as the bare list of layers.
  const body = Array.isArray(entry.config) ? { layers: entry.config } : (entry.config as Record<string, unknown>);
  const rawLayers = body?.layers;
  if (!Array.isArray(rawLayers)) throw new UserError(`${source}: Sequential model has no 'layers' list`);
  const entries = rawLayers.map((l, i) => parseEntry(l, source, `layer ${i}`));
  const first = entries[0];
  let batchShape = first ? batchShapeOf(first.config) : undefined;
  const layers = entries.filter((e) => e.class_name !== 'InputLayer').map((e) => buildAny(e, ctx));
  batchShape ??= shapeList(body.build_input_shape);
  if (!batchShape) {
    throw new UserError(`${source}: Sequential model '${configName(body) ?? ''}' does not record its input shape; rebuild it in Keras with an Input layer and save again`);
  }
  const model = tf.sequential({ name: configName(body) });
  model.add(tf.layers.inputLayer({ batchInputShape: batchShape, name: first?.class_name === 'InputLayer' ? configName(first.config) : undefined }));
  for (const layer of layers) model.add(layer);
  return model;
}

/** `batch_input_shape` (Keras 2) or `batch_shape` (Keras 3) of a layer config. */
function batchShapeOf(config: unknown): (number | null)[] | undefined {
  const c = config as Record<string, unknown> | null;
  return shapeList(c?.batch_input_shape) ?? shapeList(c?.batch_shape);
}

function shapeList(value: unknown): (number | null)[] | undefined {
  if (!Array.isArray(value) || !value.every((d) => d === null || typeof d === 'number')) return undefined;
  return value as (number | null)[];
}

function buildFunctional(entry: LayerEntry, ctx: BuildContext): tf.LayersModel {
  const { source } = ctx;
  const parsed = functionalSchema.safeParse(entry.config);
  if (!parsed.success) throw new UserError(`${source}: Functional model config lacks layers/input_layers/output_layers`);
  const body = parsed.data;
  const entries = body.layers.map((l, i) => parseEntry(l, source, `layer ${i}`));

  // Outputs of every node (call) of every layer, in node order, as Keras numbers them.
  const produced = new Map<string, tf.SymbolicTensor[][]>();
  const pending: { entry: LayerEntry; layer: tf.layers.Layer; nodes: unknown[] }[] = [];
  for (const e of entries) {
    const name = e.name ?? configName(e.config) ?? '';
    if (e.class_name === 'InputLayer') {
      const batchShape = batchShapeOf(e.config);
      if (!batchShape) throw new UserError(`${source}: input layer '${name}' has no batch shape`);
      produced.set(name, [[tf.input({ batchShape, name })]]);
      continue;
    }
    const layer = buildAny(e, ctx);
    const nodes = e.inbound_nodes ?? [];
    // tf-keras counts a nested model's own internal node as node 0; Keras 3 counts only calls.
    const ownNode = layer instanceof tf.LayersModel && nodes.some(Array.isArray);
    produced.set(name, ownNode ? [(layer as tf.LayersModel).outputs] : []);
    pending.push({ entry: e, layer, nodes });
  }

  // Apply nodes once their inputs exist; repeat until nothing moves (configs list layers, not nodes, in order).
  let progress = true;
  while (progress) {
    progress = false;
    for (const p of pending) {
      while (p.nodes.length > 0) {
        const refs = nodeRefs(p.nodes[0], source, p.layer.name);
        const inputs = refs.map((r) => produced.get(r.layer)?.[r.node]?.[r.tensor]);
        if (inputs.some((t) => t === undefined)) break;
        const out = applyLayer(p.layer, inputs as tf.SymbolicTensor[], source);
        produced.get(p.layer.name)!.push(Array.isArray(out) ? out : [out]);
        p.nodes.shift();
        progress = true;
      }
    }
  }
  const stuck = pending.find((p) => p.nodes.length > 0);
  if (stuck) throw new UserError(`${source}: layer '${stuck.layer.name}' takes inputs that no layer produces; the model config is inconsistent`);

  const resolve = (raw: unknown[], what: string): tf.SymbolicTensor[] =>
    refList(raw, source, what).map((r) => {
      const t = produced.get(r.layer)?.[r.node]?.[r.tensor];
      if (!t) throw new UserError(`${source}: model ${what} '${r.layer}' is not a layer of the model`);
      return t;
    });
  return tf.model({ inputs: resolve(body.input_layers, 'input'), outputs: resolve(body.output_layers, 'output'), name: body.name });
}

/** Call a rebuilt layer on its inputs; tfjs's own complaint (wrong input count, shapes) becomes one naming file and layer. */
function applyLayer(layer: tf.layers.Layer, inputs: tf.SymbolicTensor[], source: string): tf.SymbolicTensor | tf.SymbolicTensor[] {
  try {
    return layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.SymbolicTensor | tf.SymbolicTensor[];
  } catch (err) {
    const shapes = inputs.map((t) => `[${t.shape.map((d) => d ?? 'None').join(', ')}]`).join(', ');
    throw new UserError(
      `${source}: layer '${layer.name}' (${layer.getClassName()}) cannot be applied to its inputs ${shapes} as saved ` +
        `(${(err as Error).message}); transferkit cannot express this use of the layer.`,
    );
  }
}

/** `input_layers`/`output_layers`: a list of refs, or (single tensor, newer Keras) one bare ref. */
function refList(raw: unknown[], source: string, what: string): TensorRef[] {
  const list = typeof raw[0] === 'string' ? [raw] : raw;
  return list.map((r) => toRef(r, source, what));
}

function toRef(raw: unknown, source: string, what: string): TensorRef {
  const parsed = tensorRefSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${source}: ${what} refers to a tensor as ${JSON.stringify(raw)}, expected [layer, node, tensor]`);
  const [layer, node, tensor] = parsed.data;
  return { layer, node, tensor };
}

/**
 * The tensors one inbound node consumes. Keras 1/2: a list of `[layer, node, tensor, kwargs]`.
 * Keras 3: `{args, kwargs}` with `__keras_tensor__` objects (`keras_history` = the ref) in `args`.
 */
function nodeRefs(node: unknown, source: string, layer: string): TensorRef[] {
  if (Array.isArray(node)) return node.map((r) => toRef(r, source, `layer '${layer}'`));
  const args = (node as { args?: unknown } | null)?.args;
  if (!Array.isArray(args)) throw new UserError(`${source}: layer '${layer}' has an inbound node without args`);
  const refs: TensorRef[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(collect);
    const v = value as { class_name?: unknown; config?: { keras_history?: unknown } } | null;
    if (v?.class_name === '__keras_tensor__') refs.push(toRef(v.config?.keras_history, source, `layer '${layer}'`));
  };
  collect(args);
  if (refs.length === 0) throw new UserError(`${source}: layer '${layer}' is called on no tensor`);
  return refs;
}

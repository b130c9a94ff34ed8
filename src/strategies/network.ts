import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/random.ts';
import { UserError } from '../errors.ts';
import { loadWeights } from '../keras/index.ts';
import type { KerasFile } from '../keras/types.ts';
import { glorotLimit } from '../models/init-weights.ts';
import { vgg16Prefix } from '../models/vgg16.ts';
import { headLayerSpecs } from './head.ts';
import { headLayer } from './head-layer.ts';
import { seedFrom } from './seeds.ts';
import type { StrategyPlan } from './types.ts';

/** The two views of one set of layers a run works with. */
export interface Network {
  /** Image -> kept VGG16 layers -> head, with Keras layer names: what is saved, exported, predicted with. */
  model: tf.LayersModel;
  /**
   * Features at the cut -> suffix -> head (the same layer objects, so training it trains `model`);
   * for retrain (no cut) it is `model` itself.
   */
  trainer: tf.LayersModel;
  /** Shape of one sample the trainer takes (features at the cut, or the image). */
  featureShape: number[];
}

export interface BuildNetworkOptions {
  plan: StrategyPlan;
  inputSize: number;
  classes: number;
  /** Pretrained weights loaded by layer name (prefix, suffix, and fc1/fc2 for the vgg head); none = glorot init. */
  weights?: KerasFile;
  /** Seeds every freshly initialised kernel. */
  random: Rng;
}

/** Re-initialise kernels glorot-uniform from the run's PRNG (tfjs's unseeded init is not reproducible). */
function seededInit(model: tf.LayersModel, random: Rng): void {
  for (const layer of model.layers) {
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias) continue;
    const shape = kernel.shape;
    const limit = glorotLimit(shape);
    const values = tf.randomUniform(shape, -limit, limit, 'float32', seedFrom(random));
    const zeros = tf.zerosLike(bias);
    layer.setWeights([values, zeros]);
    tf.dispose([values, zeros]);
  }
}

/** Every pretrained layer must come from the file; only the new `predictions` may be skipped. */
function assertPretrainedLoaded(model: tf.LayersModel, plan: StrategyPlan, weights: KerasFile, loaded: ReadonlySet<string>): void {
  const pretrained = headLayerSpecs(plan.head).filter((l) => l.kind === 'dense' && l.pretrained).map((l) => l.name);
  const missing = model.layers
    .filter((l) => l.weights.length > 0 && !loaded.has(l.name))
    .map((l) => l.name)
    .filter((name) => name.startsWith('block') || pretrained.includes(name));
  if (missing.length === 0) return;
  if (missing.some((name) => pretrained.includes(name))) {
    throw new UserError(
      `--head vgg keeps the pretrained fc1/fc2, but ${weights.path} has no usable ${missing.join(', ')}; ` +
        'pass with-top weights (`transferkit fetch-weights --top` downloads vgg16_weights_tf_dim_ordering_tf_kernels.h5 where train finds it; ' +
        'or --weights FILE, e.g. from `transferkit init-weights --out FILE`), or use --head gap.',
    );
  }
  throw new UserError(`${weights.path} does not hold VGG16 weights for ${missing.join(', ')}; pass a VGG16 Keras weights file with --weights.`);
}

/**
 * Build the stitched model for a plan and the trainer that shares its layers. With `weights`, the
 * VGG16 layers (and the vgg head's fc1/fc2) load from it by name; the new `predictions` keeps its
 * seeded init (the file's 1000-way layer does not fit, and is skipped).
 */
export async function buildNetwork(o: BuildNetworkOptions): Promise<Network> {
  const base = await vgg16Prefix(o.plan.keep, { inputShape: [o.inputSize, o.inputSize, 3] });
  const head = headLayerSpecs(o.plan.head).map((spec) => headLayer(spec, o.classes, o.random));
  const output = head.reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, base.outputs[0]!);
  const model = tf.model({ inputs: base.inputs, outputs: output, name: 'transferkit' });
  if (o.weights) {
    const report = await loadWeights(model, o.weights, { byName: true, skipMismatch: true });
    assertPretrainedLoaded(model, o.plan, o.weights, new Set(report.loaded.map((l) => l.layer)));
  } else {
    seededInit(base, o.random);
  }
  if (o.plan.cut === null) return { model, trainer: model, featureShape: [o.inputSize, o.inputSize, 3] };
  const featureShape = model.getLayer(o.plan.cut).outputShape.slice(1) as number[];
  const input = tf.input({ shape: featureShape, name: `${o.plan.cut}_features` });
  const layers = [...o.plan.suffix.map((name) => model.getLayer(name)), ...head];
  const trainer = tf.model({ inputs: input, outputs: layers.reduce((x, l) => l.apply(x) as tf.SymbolicTensor, input), name: 'trainer' });
  return { model, trainer, featureShape };
}

/**
 * Free a network's weights. The trainer holds a reference to every layer it shares with the model,
 * so `model.dispose()` alone frees nothing of the suffix and head: dispose the trainer first.
 */
export function disposeNetwork(net: Network): void {
  if (net.trainer !== net.model) net.trainer.dispose();
  net.model.dispose();
}

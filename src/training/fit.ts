import * as tf from '@tensorflow/tfjs';
import type { OptimizerSpec } from '../strategies/types.ts';
import { seedFrom } from './seeds.ts';
import { precompute, type BatchSource } from './batch-source.ts';
import { CallbackList } from './callback-list.ts';
import type { Callback, EpochLogs, TrainingContext } from './callbacks.ts';
import { disposeOptimizer, makeOptimizer, restoreOptimizerState, setLearningRate } from './optimizer.ts';
import type { StateValue } from './resume-point.ts';
import { shuffled, type Rng } from '../data/random.ts';

/** One `fit` call: one phase of a strategy. */
export interface FitArgs {
  /** A sequential network (features at the cut -> class probabilities). */
  trainer: tf.LayersModel;
  train: BatchSource;
  val: BatchSource;
  numClasses: number;
  /** Epochs to run in this call. */
  epochs: number;
  /** Number of the first epoch (phases continue the count). Default: 0. */
  initialEpoch?: number;
  /** Phase name written to the logs. Default: train. */
  phase?: string;
  batchSize: number;
  optimizer: OptimizerSpec;
  /** Layer names that train; every other layer is frozen and runs in inference mode. */
  trainable: ReadonlySet<string>;
  /** Loss weight per class (train loss only, as in Keras). Default: none. */
  classWeights?: readonly number[];
  callbacks?: readonly Callback[];
  /** Shuffling and dropout seeds. */
  random: Rng;
  /** Polled after every batch; true stops after the current batch (Ctrl-C). Default: never. */
  shouldStop?: () => boolean;
  /**
   * Continue this phase where a saved run stopped (`train --resume`): the optimiser's state and
   * learning rate come back, and callbacks (whose state the caller restored) are not reset.
   * Default: a fresh start.
   */
  resume?: { learningRate: number; optimizer: StateValue };
}

export interface FitResult {
  /** Epochs that completed (and were logged). */
  epochs: number;
  /** Stopped by `shouldStop` in the middle of an epoch. */
  interrupted: boolean;
  /** Stopped by a callback (early stopping). */
  stoppedEarly: boolean;
}

type Layer = tf.layers.Layer;

const EPSILON = 1e-7; // Keras's backend epsilon for clipping probabilities.

/** Keras categorical cross-entropy per sample on softmax outputs. */
function sampleCrossEntropy(probs: tf.Tensor, oneHot: tf.Tensor): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probs, EPSILON, 1 - EPSILON))), -1));
}

/**
 * Apply `layers` in order. BatchNormalization runs in training mode only when it trains (a frozen
 * BatchNorm never updates its statistics); dropout is active whenever `training` is.
 */
function forward(layers: readonly Layer[], xs: tf.Tensor, training: boolean): tf.Tensor {
  return layers.reduce((x, layer) => {
    const isBatchNorm = layer.getClassName() === 'BatchNormalization';
    return layer.apply(x, { training: training && (!isBatchNorm || layer.trainable) }) as tf.Tensor;
  }, xs);
}

/** Mean categorical cross-entropy and accuracy of `layers` over a source, in inference mode (fit's val_loss/val_acc; `evaluateRun` evaluates a whole run). */
export async function lossAndAccuracy(
  layers: readonly Layer[],
  source: BatchSource,
  batchSize: number,
  numClasses: number,
): Promise<{ loss: number; acc: number }> {
  let loss = 0;
  let correct = 0;
  for await (const batch of source.batches(batchSize, null)) {
    const [l, c] = tf.tidy(() => {
      const labels = tf.tensor1d(batch.labels, 'int32');
      const probs = forward(layers, batch.xs, false);
      return [
        tf.sum(sampleCrossEntropy(probs, tf.oneHot(labels, numClasses))),
        tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), labels), 'float32')),
      ];
    });
    batch.xs.dispose();
    loss += (await l!.data())[0]!;
    correct += (await c!.data())[0]!;
    tf.dispose([l!, c!]);
  }
  const n = source.labels.length;
  return { loss: loss / n, acc: correct / n };
}

/** Layers whose output depends on `training` (random masks, noise) even though they hold no weights. */
const TRAINING_DEPENDENT = new Set(['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/**
 * The leading layers whose output is the same every epoch of a phase: frozen layers, and weightless
 * deterministic ones (the head's global pooling or flatten). They run once per phase, not per batch.
 */
function fixedLead(layers: readonly Layer[], trainable: ReadonlySet<string>): Layer[] {
  const end = layers.findIndex(
    (l) => trainable.has(l.name) && (l.weights.length > 0 || TRAINING_DEPENDENT.has(l.getClassName())),
  );
  return layers.slice(0, end < 0 ? layers.length : end);
}

function setTrainable(layers: readonly Layer[], trainable: ReadonlySet<string>): void {
  for (const layer of layers) layer.trainable = trainable.has(layer.name);
}

/** Dropout layers draw a fresh mask per step from the run's PRNG, so training is reproducible. */
function seedDropout(layers: readonly Layer[], random: Rng | null): void {
  for (const layer of layers) {
    if (layer.getClassName() === 'Dropout') (layer as Layer & { seed?: number }).seed = random ? seedFrom(random) : undefined;
  }
}

/**
 * Train `trainer` for `epochs` epochs with Keras semantics (weighted categorical cross-entropy,
 * shuffled batches, `loss`/`acc`/`val_loss`/`val_acc` per epoch, callbacks). The leading frozen
 * (or weightless, deterministic) layers are computed once up front; every step is tidied so no
 * tensor outlives its batch.
 */
export async function fit(args: FitArgs): Promise<FitResult> {
  const layers = args.trainer.layers.filter((l) => l.getClassName() !== 'InputLayer');
  setTrainable(layers, args.trainable);
  const frozenLead = fixedLead(layers, args.trainable);
  const rest = layers.slice(frozenLead.length);
  const train = frozenLead.length > 0 ? await precompute(args.train, frozenLead, args.batchSize) : args.train;
  const val = frozenLead.length > 0 ? await precompute(args.val, frozenLead, args.batchSize) : args.val;
  const vars = rest.filter((l) => l.trainable).flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  const optimizer = makeOptimizer(args.optimizer);
  const ctx: TrainingContext = { trainer: args.trainer, learningRate: args.resume?.learningRate ?? args.optimizer.lr, stopTraining: false, optimizer };
  const callbacks = new CallbackList(args.callbacks);
  const n = train.labels.length;
  const batches = Math.ceil(n / args.batchSize);
  const first = args.initialEpoch ?? 0;
  const phase = args.phase ?? 'train';
  const result: FitResult = { epochs: 0, interrupted: false, stoppedEarly: false };
  try {
    if (args.resume) await restoreOptimizerState(optimizer, args.resume.optimizer);
    else await callbacks.onTrainBegin(ctx);
    for (let e = 0; e < args.epochs && !result.interrupted; e++) {
      const epoch = first + e;
      const lr = ctx.learningRate;
      setLearningRate(optimizer, lr);
      await callbacks.onEpochBegin(epoch, { batches, phase }, ctx);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let b = 0;
      const order = Int32Array.from(shuffled([...Array(n).keys()], args.random));
      for await (const batch of train.batches(args.batchSize, order)) {
        seedDropout(rest, args.random);
        const [cost, hits] = tf.tidy(() => {
          const labels = tf.tensor1d(batch.labels, 'int32');
          const oneHot = tf.oneHot(labels, args.numClasses);
          const weights = args.classWeights ? tf.tensor1d(Float32Array.from(batch.labels, (l) => args.classWeights![l]!)) : null;
          let hit: tf.Tensor | undefined;
          const value = optimizer.minimize(
            () => {
              const probs = forward(rest, batch.xs, true);
              hit = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), labels), 'float32')));
              const ce = sampleCrossEntropy(probs, oneHot);
              return tf.mean(weights ? tf.mul(ce, weights) : ce) as tf.Scalar;
            },
            true,
            vars,
          );
          return [value!, hit!];
        });
        batch.xs.dispose();
        const batchLoss = (await cost!.data())[0]!;
        const batchHits = (await hits!.data())[0]!;
        tf.dispose([cost!, hits!]);
        lossSum += batchLoss * batch.labels.length;
        correct += batchHits;
        seen += batch.labels.length;
        await callbacks.onBatchEnd(b++, { loss: lossSum / seen, acc: correct / seen }, ctx);
        // On the wasm and cpu backends a step settles in microtasks only: without one turn of the
        // event loop per batch, a SIGINT handler (and so shouldStop) would wait for the epoch's end.
        await new Promise(setImmediate);
        if (args.shouldStop?.()) {
          result.interrupted = true;
          break;
        }
      }
      if (result.interrupted) break;
      seedDropout(rest, null);
      const v = await lossAndAccuracy(rest, val, args.batchSize, args.numClasses);
      const logs: EpochLogs = { epoch, phase, loss: lossSum / n, acc: correct / n, val_loss: v.loss, val_acc: v.acc, lr };
      await callbacks.onEpochEnd(logs, ctx);
      result.epochs += 1;
      if (ctx.stopTraining) {
        result.stoppedEarly = true;
        break;
      }
    }
    await callbacks.onTrainEnd(ctx);
  } finally {
    seedDropout(rest, null);
    disposeOptimizer(optimizer);
    if (train !== args.train) train.dispose();
    if (val !== args.val) val.dispose();
  }
  return result;
}

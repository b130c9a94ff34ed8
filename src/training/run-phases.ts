/**
 * The strategy's phases, one `fit` each, saving a resume point after every completed epoch and at
 * every phase boundary; given a point, training continues exactly where it was saved (weights,
 * optimiser, callbacks, learning rate, PRNG position), so the result equals an uninterrupted run.
 */
import type * as tf from '@tensorflow/tfjs';
import type { CountingRng } from '../data/random.ts';
import type { StrategyPlan } from '../strategies/types.ts';
import { CallbackList } from './callback-list.ts';
import type { Callback } from './callbacks.ts';
import { fit, type FitArgs } from './fit.ts';
import { optimizerState } from './optimizer.ts';
import { writeResumePoint, type ResumePoint } from './resume-point.ts';
import { restoreWeights, snapshotWeights } from './weights-snapshot.ts';

export interface RunPhasesArgs extends Pick<FitArgs, 'train' | 'val' | 'numClasses' | 'batchSize' | 'classWeights' | 'shouldStop'> {
  runDir: string;
  plan: StrategyPlan;
  trainer: tf.LayersModel;
  random: CountingRng;
  callbacks: readonly Callback[];
  /** Continue from this point instead of the start. */
  from?: ResumePoint;
}

/** Where a stop request ended the run (kept in `config.json`). */
export interface Interruption {
  phase: string;
  epochsCompleted: number;
  at: string;
}

export async function runPhases(args: RunPhasesArgs): Promise<{ epochs: number; interrupted?: Interruption }> {
  const { runDir, plan, trainer, random, callbacks, from } = args;
  const list = new CallbackList(callbacks);
  const point = (phase: number, phaseEpochs: number, epoch: number, fitState: ResumePoint['fit']): ResumePoint => ({
    phase, phaseEpochs, epoch, rngDraws: random.draws(), trainer: snapshotWeights(trainer), callbacks: list.saveState(), fit: fitState,
  });
  if (from) {
    restoreWeights(trainer, from.trainer);
    random.skipTo(from.rngDraws);
    list.loadState(from.callbacks);
    args.train.seekEpoch?.(from.epoch);
  }
  let epoch = from?.epoch ?? 0;
  for (let p = from?.phase ?? 0; p < plan.phases.length; p++) {
    const phase = plan.phases[p]!;
    const mid = from?.phase === p ? from.fit ?? undefined : undefined;
    const start = epoch - (mid ? from!.phaseEpochs : 0);
    const saver: Callback = {
      onEpochEnd: async (logs, ctx) => {
        const fitState = { learningRate: ctx.learningRate, optimizer: await optimizerState(ctx.optimizer), stopped: ctx.stopTraining };
        await writeResumePoint(runDir, point(p, logs.epoch + 1 - start, logs.epoch + 1, fitState));
      },
    };
    const result = await fit({
      trainer, train: args.train, val: args.val, numClasses: args.numClasses, batchSize: args.batchSize, classWeights: args.classWeights, shouldStop: args.shouldStop,
      // A phase a callback had stopped only needs its end (early stopping's restore of the best weights).
      epochs: mid?.stopped ? 0 : phase.epochs - (epoch - start), initialEpoch: epoch, phase: phase.name, optimizer: phase.optimizer,
      trainable: new Set(phase.trainable), callbacks: [...callbacks, saver], random, resume: mid,
    });
    epoch += result.epochs;
    if (result.interrupted) return { epochs: epoch, interrupted: { phase: phase.name, epochsCompleted: epoch, at: new Date().toISOString() } };
    await writeResumePoint(runDir, point(p + 1, 0, epoch, null));
  }
  return { epochs: epoch };
}

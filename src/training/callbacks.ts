import type * as tf from '@tensorflow/tfjs';
import { Monitor, type MonitorArgs } from './monitor.ts';
import type { StateValue } from './resume-point.ts';
import { restoreWeights, snapshotWeights, type WeightsSnapshot } from './weights-snapshot.ts';

/** What is logged after each epoch, with Keras's names. */
export interface EpochLogs {
  /** 0-based epoch over the whole run (phases continue the count). */
  epoch: number;
  phase: string;
  loss: number;
  acc: number;
  val_loss: number;
  val_acc: number;
  /** Learning rate used during the epoch. */
  lr: number;
}

/** What callbacks may look at and change while training runs. */
export interface TrainingContext {
  /** The network being trained (features at the cut -> predictions). */
  readonly trainer: tf.LayersModel;
  learningRate: number;
  /** Set by a callback to end `fit` after the current epoch. */
  stopTraining: boolean;
  /** The phase's optimiser (its state is saved for `train --resume`). */
  readonly optimizer: tf.Optimizer;
}

/** Keras-style hooks; every one optional. `fit` awaits each. */
export interface Callback {
  onTrainBegin?(ctx: TrainingContext): void | Promise<void>;
  onEpochBegin?(epoch: number, info: { batches: number; phase: string }, ctx: TrainingContext): void | Promise<void>;
  onBatchEnd?(batch: number, logs: { loss: number; acc: number }, ctx: TrainingContext): void | Promise<void>;
  onEpochEnd?(logs: EpochLogs, ctx: TrainingContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainingContext): void | Promise<void>;
  /** State `train --resume` must restore (plain data and Float32Arrays). */
  saveState?(): StateValue;
  loadState?(state: StateValue): void;
}

export interface ModelCheckpointArgs extends MonitorArgs {
  /** Saves the trainer's weights (atomically: a crash mid-write must not lose the previous best). Required. */
  write: (trainer: tf.LayersModel) => Promise<void>;
}

/**
 * Keras `ModelCheckpoint(save_best_only=True)`: writes the trainer's weights when the monitored
 * value improves. The best survives across `fit` calls (phases), as in Keras; `write` must be atomic.
 * It also keeps the best weights in memory so training can end on the best epoch.
 */
export class ModelCheckpoint implements Callback {
  readonly monitor: Monitor;
  /** Epoch of the best value so far; -1 before any. */
  bestEpoch = -1;
  private best: WeightsSnapshot | undefined;
  private readonly write: ModelCheckpointArgs['write'];

  constructor(args: ModelCheckpointArgs) {
    this.monitor = new Monitor(args);
    this.write = args.write;
  }

  async onEpochEnd(logs: EpochLogs, ctx: TrainingContext): Promise<void> {
    if (!this.monitor.update(logs)) return;
    this.bestEpoch = logs.epoch;
    this.best = snapshotWeights(ctx.trainer);
    await this.write(ctx.trainer);
  }

  saveState(): StateValue {
    return { best: this.monitor.best, bestEpoch: this.bestEpoch, weights: this.best ?? null };
  }

  loadState(state: StateValue): void {
    const s = state as { best: number; bestEpoch: number; weights: WeightsSnapshot | null };
    this.monitor.best = s.best;
    this.bestEpoch = s.bestEpoch;
    this.best = s.weights ?? undefined;
  }

  /** Put the best epoch's weights back; false when no epoch finished. */
  restoreBest(trainer: tf.LayersModel): boolean {
    if (this.best === undefined) return false;
    restoreWeights(trainer, this.best);
    return true;
  }
}

export interface EarlyStoppingArgs extends MonitorArgs {
  /** Epochs without improvement before training stops. Required. */
  patience: number;
  /** Put the best epoch's weights back at the end. Default: true (Keras's is false; users expect the best model). */
  restoreBestWeights?: boolean;
}

/** Keras `EarlyStopping(patience, restore_best_weights=True)`; state resets at each `fit`. */
export class EarlyStopping implements Callback {
  readonly monitor: Monitor;
  /** Epoch at which training was stopped; -1 when it ran out its epochs. */
  stoppedEpoch = -1;
  private wait = 0;
  private best: WeightsSnapshot | undefined;
  private bestIsLast = true;
  private readonly restoreBest: boolean;
  private readonly patience: number;

  constructor(args: EarlyStoppingArgs) {
    this.monitor = new Monitor(args);
    this.patience = args.patience;
    this.restoreBest = args.restoreBestWeights ?? true;
  }

  onTrainBegin(): void {
    this.monitor.reset();
    this.wait = 0;
    this.best = undefined;
    this.stoppedEpoch = -1;
  }

  onEpochEnd(logs: EpochLogs, ctx: TrainingContext): void {
    if (this.monitor.update(logs)) {
      this.wait = 0;
      this.bestIsLast = true;
      if (this.restoreBest) this.best = snapshotWeights(ctx.trainer);
      return;
    }
    this.bestIsLast = false;
    this.wait += 1;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = logs.epoch;
      ctx.stopTraining = true;
    }
  }

  saveState(): StateValue {
    return { best: this.monitor.best, wait: this.wait, bestIsLast: this.bestIsLast, stoppedEpoch: this.stoppedEpoch, weights: this.best ?? null };
  }

  loadState(state: StateValue): void {
    const s = state as { best: number; wait: number; bestIsLast: boolean; stoppedEpoch: number; weights: WeightsSnapshot | null };
    this.monitor.best = s.best;
    this.wait = s.wait;
    this.bestIsLast = s.bestIsLast;
    this.stoppedEpoch = s.stoppedEpoch;
    this.best = s.weights ?? undefined;
  }

  /** Restores the best weights when the last epoch was not the best (Keras >= 2.11 behaviour). */
  onTrainEnd(ctx: TrainingContext): void {
    if (this.restoreBest && this.best !== undefined && !this.bestIsLast) restoreWeights(ctx.trainer, this.best);
    this.best = undefined;
  }
}

export interface ReduceLROnPlateauArgs extends MonitorArgs {
  /** Factor the learning rate is multiplied by on a plateau. Required. */
  factor: number;
  /** Epochs without improvement that make a plateau. Required. */
  patience: number;
  /** The learning rate never goes below this. Default: 0. */
  minLr?: number;
}

/** Keras `ReduceLROnPlateau(factor, patience, min_lr)`; state resets at each `fit`. */
export class ReduceLROnPlateau implements Callback {
  readonly monitor: Monitor;
  private wait = 0;

  constructor(private readonly args: ReduceLROnPlateauArgs) {
    this.monitor = new Monitor(args);
  }

  onTrainBegin(): void {
    this.monitor.reset();
    this.wait = 0;
  }

  onEpochEnd(logs: EpochLogs, ctx: TrainingContext): void {
    if (this.monitor.update(logs)) {
      this.wait = 0;
      return;
    }
    this.wait += 1;
    if (this.wait < this.args.patience) return;
    ctx.learningRate = Math.max(ctx.learningRate * this.args.factor, this.args.minLr ?? 0);
    this.wait = 0;
  }

  saveState(): StateValue {
    return { best: this.monitor.best, wait: this.wait };
  }

  loadState(state: StateValue): void {
    const s = state as { best: number; wait: number };
    this.monitor.best = s.best;
    this.wait = s.wait;
  }
}

export interface HistoryRecorderArgs {
  /** Saves the whole history so far (after every epoch). Default: keep it in memory only. */
  write?: (history: readonly EpochLogs[]) => Promise<void>;
}

/** Keeps every epoch's logs and hands the whole history to `write` after each epoch. */
export class HistoryRecorder implements Callback {
  readonly history: EpochLogs[] = [];

  constructor(private readonly args: HistoryRecorderArgs = {}) {}

  async onEpochEnd(logs: EpochLogs): Promise<void> {
    this.history.push(logs);
    await this.args.write?.(this.history);
  }

  saveState(): StateValue {
    return { history: this.history as unknown as StateValue[] };
  }

  loadState(state: StateValue): void {
    this.history.splice(0, this.history.length, ...((state as unknown as { history: EpochLogs[] }).history));
  }
}

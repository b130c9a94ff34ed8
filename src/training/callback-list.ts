import { UserError } from '../errors.ts';
import type { Callback, EpochLogs, TrainingContext } from './callbacks.ts';
import type { StateValue } from './resume-point.ts';

/**
 * The callbacks of a training run behind one object, as tfjs-layers' `CallbackList`: `fit` calls each
 * hook once and the list awaits every callback's hook in list order (so a checkpoint written in
 * `onEpochEnd` is on disk before the next callback sees the epoch). Callbacks without a hook are skipped.
 */
export class CallbackList {
  private readonly callbacks: Callback[];

  constructor(callbacks: readonly Callback[] = []) {
    this.callbacks = [...callbacks];
  }

  async onTrainBegin(ctx: TrainingContext): Promise<void> {
    for (const cb of this.callbacks) await cb.onTrainBegin?.(ctx);
  }

  async onEpochBegin(epoch: number, info: { batches: number; phase: string }, ctx: TrainingContext): Promise<void> {
    for (const cb of this.callbacks) await cb.onEpochBegin?.(epoch, info, ctx);
  }

  async onBatchEnd(batch: number, logs: { loss: number; acc: number }, ctx: TrainingContext): Promise<void> {
    for (const cb of this.callbacks) await cb.onBatchEnd?.(batch, logs, ctx);
  }

  async onEpochEnd(logs: EpochLogs, ctx: TrainingContext): Promise<void> {
    for (const cb of this.callbacks) await cb.onEpochEnd?.(logs, ctx);
  }

  async onTrainEnd(ctx: TrainingContext): Promise<void> {
    for (const cb of this.callbacks) await cb.onTrainEnd?.(ctx);
  }

  /** Every callback's state for `train --resume`, in list order (null for a callback that keeps none). */
  saveState(): StateValue[] {
    return this.callbacks.map((cb) => cb.saveState?.() ?? null);
  }

  /** Give each callback back the state `saveState` recorded for it (same list, same order). */
  loadState(states: readonly StateValue[]): void {
    if (states.length !== this.callbacks.length) {
      throw new UserError(`the resume point holds the state of ${states.length} callbacks but this run has ${this.callbacks.length}; it was saved by another transferkit version: start a new run instead of --resume.`);
    }
    this.callbacks.forEach((cb, i) => cb.loadState?.(states[i]!));
  }
}

import type { EpochLogs } from './callbacks.ts';

/** Keras's shared monitor settings behind checkpointing, early stopping and LR reduction. */
export interface MonitorArgs {
  /** The logged quantity to watch. Default: val_loss. */
  monitor?: keyof EpochLogs;
  /** `min` (losses), `max` (accuracies) or `auto` (max when the name contains "acc"). Default: auto. */
  mode?: 'min' | 'max' | 'auto';
  /** Smallest change that counts as an improvement. Default: 0. */
  minDelta?: number;
}

/** Tracks the best value of one logged quantity, as Keras's callbacks do. */
export class Monitor {
  readonly monitor: keyof EpochLogs;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  best: number;

  constructor(args: MonitorArgs = {}) {
    this.monitor = args.monitor ?? 'val_loss';
    const mode = args.mode ?? 'auto';
    this.mode = mode === 'auto' ? (String(this.monitor).includes('acc') ? 'max' : 'min') : mode;
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.best = this.worst();
  }

  /** Forget the best value (Keras resets early stopping and LR reduction at each `fit`). */
  reset(): void {
    this.best = this.worst();
  }

  /** The monitored value in `logs`, or an error naming what is logged. */
  value(logs: EpochLogs): number {
    const v = logs[this.monitor];
    if (typeof v !== 'number') throw new Error(`monitor '${String(this.monitor)}' is not logged; logged: ${Object.keys(logs).join(', ')}`);
    return v;
  }

  /** Whether `logs` improve on the best by more than minDelta; records the new best when so. */
  update(logs: EpochLogs): boolean {
    const v = this.value(logs);
    const better = this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta;
    if (better) this.best = v;
    return better;
  }

  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }
}

import cliProgress from 'cli-progress';
import type { Callback, EpochLogs } from './callbacks.ts';

const fmt = (v: number): string => v.toFixed(4);

/** One Keras-like summary line for an epoch. */
export function formatEpoch(logs: EpochLogs, totalEpochs: number): string {
  return `epoch ${logs.epoch + 1}/${totalEpochs} [${logs.phase}] loss ${fmt(logs.loss)} acc ${fmt(logs.acc)} val_loss ${fmt(logs.val_loss)} val_acc ${fmt(logs.val_acc)} lr ${logs.lr.toExponential(1)}`;
}

/**
 * A progress bar per epoch (loss/acc while it runs, val_loss/val_acc at the end) on a TTY; one line
 * per epoch otherwise (logs, CI), so output stays readable when redirected.
 */
export class ProgressReporter implements Callback {
  private bar: cliProgress.SingleBar | undefined;
  private closed = false;

  constructor(
    private readonly totalEpochs: number,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
    private readonly tty = Boolean(process.stderr.isTTY),
  ) {}

  onEpochBegin(epoch: number, info: { batches: number; phase: string }): void {
    if (!this.tty || this.closed) return;
    this.bar = new cliProgress.SingleBar(
      { format: `epoch ${epoch + 1}/${this.totalEpochs} [${info.phase}] {bar} {value}/{total} loss {loss} acc {acc}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(info.batches, 0, { loss: '-', acc: '-' });
  }

  onBatchEnd(_batch: number, logs: { loss: number; acc: number }): void {
    this.bar?.increment(1, { loss: fmt(logs.loss), acc: fmt(logs.acc) });
  }

  onEpochEnd(logs: EpochLogs): void {
    this.bar?.stop();
    this.bar = undefined;
    this.write(formatEpoch(logs, this.totalEpochs));
  }

  onTrainEnd(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** Stop the bar (cursor and line wrap restored) and draw no new one: on Ctrl-C, before any message. */
  close = (): void => {
    this.closed = true;
    this.onTrainEnd();
  };
}

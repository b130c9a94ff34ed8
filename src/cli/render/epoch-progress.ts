import cliProgress from 'cli-progress';
import type { EpochLogs } from '../../training/callbacks.ts';
import type { EpochEvent } from '../../training/events.ts';
import { BarRenderer } from './bar.ts';
import { wantsBars, writeLine, type Output } from './output.ts';

const fmt = (v: number): string => v.toFixed(4);

/** One Keras-like summary line for an epoch. */
export function formatEpoch(logs: EpochLogs, totalEpochs: number): string {
  return `epoch ${logs.epoch + 1}/${totalEpochs} [${logs.phase}] loss ${fmt(logs.loss)} acc ${fmt(logs.acc)} val_loss ${fmt(logs.val_loss)} val_acc ${fmt(logs.val_acc)} lr ${logs.lr.toExponential(1)}`;
}

/**
 * A progress bar per epoch (loss/acc while it runs, val_loss/val_acc at the end) on a TTY; one line
 * per epoch otherwise (logs, CI), so output stays readable when redirected.
 */
export class EpochProgressRenderer extends BarRenderer {
  constructor(
    private readonly out: Output = process.stderr,
    private readonly tty = wantsBars(out),
  ) {
    super();
  }

  render = (e: EpochEvent): void => {
    if (e.type === 'epoch-begin') {
      if (!this.tty || this.closed) return;
      this.bar = new cliProgress.SingleBar(
        { format: `epoch ${e.epoch + 1}/${e.epochs} [${e.phase}] {bar} {value}/{total} loss {loss} acc {acc}`, stream: this.out, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(e.batches, 0, { loss: '-', acc: '-' });
    } else if (e.type === 'batch') {
      this.bar?.increment(1, { loss: fmt(e.loss), acc: fmt(e.acc) });
    } else {
      this.stop();
      writeLine(this.out, formatEpoch(e.logs, e.epochs));
    }
  };
}

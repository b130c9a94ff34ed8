/**
 * Extraction progress for people: a cli-progress bar with img/s and ETA on a TTY; otherwise a line
 * every few seconds (logs, CI, tests that read stderr).
 */
import cliProgress from 'cli-progress';
import type { ExtractProgress } from '../../cache/extract-features.ts';
import { BarRenderer } from './bar.ts';
import { wantsBars, writeLine, type Output } from './output.ts';

const LINE_EVERY_MS = 5000;

function eta(p: ExtractProgress): string {
  if (p.rate <= 0) return '-';
  const s = Math.round((p.total - p.done) / p.rate);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function formatProgress(p: ExtractProgress): string {
  return `${p.done}/${p.total} images (computed ${p.computed}, reused ${p.reused}, unreadable ${p.unreadable}) ${p.rate.toFixed(1)} img/s ETA ${eta(p)}`;
}

/** Ctrl-C closes it: later updates are ignored. */
export class ExtractProgressRenderer extends BarRenderer {
  private lastLine = 0;

  constructor(
    private readonly out: Output = process.stderr,
    private readonly tty = wantsBars(out),
  ) {
    super();
  }

  update = (p: ExtractProgress): void => {
    if (this.closed) return;
    const payload = { rate: p.rate.toFixed(1), eta: eta(p), computed: p.computed, reused: p.reused };
    if (this.tty) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          { format: 'extract {bar} {value}/{total} | {rate} img/s | ETA {eta} | computed {computed}, reused {reused}', stream: this.out, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(p.total, p.done, payload);
      } else this.bar.update(p.done, payload);
      // One bar per extraction: train extracts at several cuts (advisor probes, then the strategy's).
      if (p.done === p.total) this.stop();
      return;
    }
    const now = Date.now();
    if (now - this.lastLine >= LINE_EVERY_MS || p.done === p.total) {
      this.lastLine = now;
      writeLine(this.out, `extract: ${formatProgress(p)}`);
    }
  };
}

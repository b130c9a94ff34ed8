/**
 * How `train` (and the wizard, and `advise`) show a run's events: progress bars on a terminal,
 * lines otherwise, one sentence per decision, warning and skipped image.
 */
import { describeUnreadable } from '../../data/unreadable.ts';
import type { TrainEvent } from '../../training/events.ts';
import { downloadProgress } from './download-progress.ts';
import { EpochProgressRenderer } from './epoch-progress.ts';
import { ExtractProgressRenderer } from './extract-progress.ts';
import { wantsBars, writeLine, type Output } from './output.ts';

export interface TrainRenderer {
  onEvent(event: TrainEvent): void;
  /** Stop the bars (cursor and line wrap restored) and draw no new one: when the run ends (and on `signal`'s abort). */
  close(): void;
}

/** The lines an event prints besides the bars (none for bar-only and silent events). */
export function eventLines(e: TrainEvent): string[] {
  switch (e.type) {
    case 'warning':
      return [`warning: ${e.warning.message}`];
    case 'weights-missing':
      return [`no VGG16 weights in ${e.dir}; fetching the official ImageNet file (once)`];
    case 'precision':
      return [e.decision.message];
    case 'advice':
      return [...e.advice.reasons.map((r) => `advisor: ${r}`), `advisor: strategy ${e.advice.strategy}`];
    case 'run-dir':
      if (e.resume === undefined) return [];
      return [e.resume.afterEpoch === null ? `resuming ${e.runDir}: no epoch had completed, starting from the beginning` : `resuming ${e.runDir} after epoch ${e.resume.afterEpoch}`];
    case 'lock':
      return [e.message];
    case 'unreadable':
      return [describeUnreadable(e.image)];
    case 'training': {
      const perImage = e.samples / Math.max(e.images, 1);
      return [`training on ${e.samples} samples (${e.images} images${perImage > 1 ? ` x ${perImage} variants: original + augmented copies` : ''}), validating on ${e.validation}`];
    }
    default:
      return [];
  }
}

export interface TrainRendererOptions {
  /** Lines instead of bars, even on a terminal (`--quiet`). Default: false. */
  quiet?: boolean;
  /** Its abort (Ctrl-C) stops the bars at once, so the message that follows starts a clean line. Default: none. */
  signal?: AbortSignal;
}

/** Renders every {@link TrainEvent} on `out` (stderr for the commands, the wizard's terminal for the wizard). */
export function trainRenderer(out: Output, options: TrainRendererOptions = {}): TrainRenderer {
  const tty = wantsBars(out, options.quiet);
  const extract = new ExtractProgressRenderer(out, tty);
  const epochs = new EpochProgressRenderer(out, tty);
  const download = downloadProgress(out);
  const close = (): void => {
    extract.close();
    epochs.close();
  };
  options.signal?.addEventListener('abort', close, { once: true });
  return {
    onEvent: (e) => {
      if (e.type === 'extract') extract.update(e.progress);
      else if (e.type === 'download') download(e.download);
      else if (e.type === 'epoch-begin' || e.type === 'batch' || e.type === 'epoch-end') epochs.render(e);
      else for (const line of eventLines(e)) writeLine(out, line);
    },
    close,
  };
}

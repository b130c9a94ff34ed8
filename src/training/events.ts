/**
 * What long operations report while they run, as data. `train`, `resumeTraining`, `advise`,
 * `extractFeatures` and `resolveWeightsPath` take `onEvent` and never print: the CLI and the wizard
 * render these events (a bar on a TTY, lines otherwise; src/cli/render/), and a library caller gets
 * the same progress as values.
 */
import type { ExtractEvent } from '../cache/extract-features.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import type { Advice } from './advisor.ts';
import type { DownloadEvent } from '../util/download.ts';
import type { TransferkitWarning } from '../warnings.ts';
import type { Callback, EpochLogs } from './callbacks.ts';
import type { Interruption } from './run-phases.ts';

export type { ExtractEvent } from '../cache/extract-features.ts';

/** Finding the VGG16 weights: none in the models folder, so the official file is downloaded (once). */
export type WeightsEvent =
  | { type: 'weights-missing'; dir: string }
  | { type: 'download'; download: DownloadEvent };

/** Epoch and batch progress of `fit`, over the whole run (phases continue the epoch count). */
export type EpochEvent =
  | { type: 'epoch-begin'; epoch: number; epochs: number; phase: string; batches: number }
  | { type: 'batch'; epoch: number; batch: number; loss: number; acc: number }
  | { type: 'epoch-end'; epochs: number; logs: EpochLogs };

/** Everything `train` and `resumeTraining` report, in the order they happen. */
export type TrainEvent =
  | { type: 'scan'; dataDir: string; classes: readonly string[]; train: number; validation: number }
  | { type: 'warning'; warning: TransferkitWarning }
  | WeightsEvent
  | ExtractEvent
  | { type: 'advice'; advice: Advice }
  /** The run directory, claimed; a resumed run continues after `afterEpoch` (null: no epoch had completed). */
  | { type: 'run-dir'; runDir: string; resume?: { afterEpoch: number | null } }
  /** A stale lock of a killed process was taken over. */
  | { type: 'lock'; message: string }
  | { type: 'unreadable'; image: UnreadableImage }
  /** Training starts: samples are images times variants (original + augmented copies). */
  | { type: 'training'; samples: number; images: number; validation: number }
  | EpochEvent
  /** The best val_loss so far: its weights were written to `path`. */
  | { type: 'checkpoint'; epoch: number; val_loss: number; path: string }
  | { type: 'interrupted'; interruption: Interruption }
  | { type: 'done'; runDir: string; bestEpoch: number; interrupted: boolean };

/** A callback that reports `fit`'s progress as {@link EpochEvent}s. */
export function epochEvents(epochs: number, emit: (e: EpochEvent) => void): Callback {
  let epoch = 0;
  return {
    onEpochBegin: (e, info) => {
      epoch = e;
      emit({ type: 'epoch-begin', epoch: e, epochs, phase: info.phase, batches: info.batches });
    },
    onBatchEnd: (batch, logs) => emit({ type: 'batch', epoch, batch, loss: logs.loss, acc: logs.acc }),
    onEpochEnd: (logs) => emit({ type: 'epoch-end', epochs, logs }),
  };
}

import type { AugmentPreset } from '../data/augment-options.ts';
import type { StrategyName } from '../strategies/types.ts';

/** The wizard's answers; each one is exactly one `transferkit train` flag (`dataDir` the argument). */
export interface WizardAnswers {
  /** DATA_DIR. */
  dataDir: string;
  /** --weights: a VGG16 Keras weights file. */
  weights: string;
  /** --strategy. */
  strategy: StrategyName;
  /** --augment: a preset name. */
  augment: AugmentPreset;
  /** --input-size. */
  inputSize: number;
  /** --epochs. */
  epochs: number;
  /** --batch-size. */
  batchSize: number;
  /** --lr. */
  lr: number;
  /** --seed (not asked; written out so the command repeats the run). */
  seed: number;
  /** --out: the run directory. */
  out: string;
}

/** `transferkit train` arguments (after `train`) for the answers, plus `extraArgs` appended verbatim. */
export function trainArgs(a: WizardAnswers, extraArgs: readonly string[] = []): string[] {
  return [
    a.dataDir,
    '--strategy', a.strategy,
    '--weights', a.weights,
    '--input-size', String(a.inputSize),
    '--augment', a.augment,
    '--epochs', String(a.epochs),
    '--batch-size', String(a.batchSize),
    '--lr', String(a.lr),
    '--seed', String(a.seed),
    '--out', a.out,
    ...extraArgs,
  ];
}

/** Quote one argument for a POSIX shell (only when it needs it, so commands stay readable). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line a user can paste into a shell. */
export function formatCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

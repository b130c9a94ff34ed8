import { isDeepStrictEqual } from 'node:util';
import { AUGMENT_PRESET_NAMES, parseAugmentOptions, type AugmentPreset } from '../../data/augment-options.ts';
import type { StrategyName } from '../../strategies/types.ts';
import type { TrainOptions } from '../../training/options.ts';
import { flagOf } from '../flags/shared.ts';

/** The wizard's answers; each one is one train option (`dataDir` the argument). */
export interface WizardAnswers {
  /** DATA_DIR. */
  dataDir: string;
  /** A VGG16 Keras weights file. */
  weights: string;
  strategy: StrategyName;
  /** An augmentation preset name. */
  augment: AugmentPreset;
  inputSize: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Not asked; written out so the command repeats the run. */
  seed: number;
  /** The run directory. */
  out: string;
}

/** The train options the answers stand for, on top of `base` (options the wizard does not ask about). */
export function wizardTrainOptions(a: WizardAnswers, base: TrainOptions = {}): TrainOptions {
  const { dataDir: _dataDir, augment, ...asked } = a;
  // Expanded to its settings, as `train --augment PRESET` records it, so both runs write the same config.
  return { ...base, ...asked, augment: parseAugmentOptions({ preset: augment }) };
}

/** The preset whose settings `augment` is, if any (printed as `--augment PRESET`). */
function presetOf(augment: NonNullable<TrainOptions['augment']>): AugmentPreset | undefined {
  const settings = parseAugmentOptions(augment);
  return AUGMENT_PRESET_NAMES.find((p) => isDeepStrictEqual(parseAugmentOptions({ preset: p }), settings));
}

/**
 * One option as command-line words: `--flag value`, a bare `--flag` for true, nothing for false,
 * null or undefined (train's boolean flags are off unless given).
 */
function optionWords(key: string, value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  if (value === true) return [flagOf(key)];
  return [flagOf(key), Array.isArray(value) ? value.join(',') : String(value)];
}

/**
 * The `transferkit train` command for `options` (a pure function: flags named like their option,
 * augmentation as `--augment PRESET` plus one flag per Keras field, or just `--augment PRESET` for a
 * preset's own settings). Reading it back with train's
 * own parser gives `options` again.
 */
export function trainCommand(dataDir: string, options: TrainOptions): string[] {
  const words = ['transferkit', 'train', dataDir];
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'augment') words.push(...optionWords(key, value));
    else if (value !== undefined) {
      const augment = value as NonNullable<TrainOptions['augment']>;
      const { preset, ...fields } = augment;
      const named = preset ?? presetOf(augment);
      const own = preset === undefined && named !== undefined ? [] : Object.entries(fields);
      words.push(...optionWords('augment', named), ...own.flatMap(([field, v]) => optionWords(field, v)));
    }
  }
  return words;
}

/** Quote one argument for a POSIX shell (only when it needs it, so commands stay readable). */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line a user can paste into a shell. */
export function formatCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

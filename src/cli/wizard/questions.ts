import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AUGMENT_PRESET_NAMES, type AugmentPreset } from '../../data/augment-options.ts';
import type { CheckReport } from '../../data/check.ts';
import { formatCheckReport } from '../../data/check.ts';
import { describeError } from '../../errors.ts';
import { fetchWeights, OFFICIAL_FILES } from '../../models/fetch.ts';
import { initWeights } from '../../models/init-weights.ts';
import { STRATEGY_NAMES, type StrategyName } from '../../strategies/types.ts';
import type { WizardIO } from './io.ts';
import { validateNumber, validateOutDir, validateWeightsFile, type DataDirValidator, type NumericOption } from './validate.ts';

/** One line per strategy, shown beside each choice. */
const STRATEGY_HELP: Record<StrategyName, string> = {
  freeze: 'train only a new head on block5_pool features; fast (small data, like everyday photos)',
  slice: 'cut VGG16 earlier and train a head on its more generic features (small data, unlike everyday photos)',
  finetune: 'warm up a head, then also train block5 at a low learning rate (large data, like everyday photos)',
  retrain: 'train the whole network from the weights; slow on a CPU (large data, unlike everyday photos)',
};

const AUGMENT_HELP: Record<AugmentPreset, string> = {
  none: 'use the images as they are',
  light: 'small rotations and shifts, mirror left-right',
  standard: 'rotations up to 20°, shifts, shear, zoom, mirror, brightness',
  strong: 'large rotations, shifts, zoom, colour jitter (few images, or photos taken every which way)',
};

/** What the similarity question answers: a judgement, or "measure it" (the advisor's probes). */
export type SimilarityAnswer = 'similar' | 'different' | 'measure';

/** The data folder, re-asked until checkDataset finds something trainable; prints its summary. */
export async function askDataDir(io: WizardIO, validator: DataDirValidator): Promise<{ dir: string; report: CheckReport }> {
  const dir = await io.ask<string>({
    type: 'input',
    message: 'Data folder (one sub-folder per class, or train/ and validation/ folders of them):',
    validate: validator.validate,
  });
  const report = validator.report(dir);
  io.print(formatCheckReport(report));
  if (report.unreadable.length > 0) io.print(`${report.unreadable.length} unreadable image(s) will be skipped.`);
  return { dir, report };
}

/** VGG16 weight files (.h5) already in `modelsDir`. */
async function weightFilesIn(modelsDir: string): Promise<string[]> {
  const names = await readdir(modelsDir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.h5')).sort().map((n) => join(modelsDir, n));
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/**
 * Which VGG16 weights to start from: a file found in the models folder, the official file (downloaded now),
 * a path, or random init (with a warning). Returns the path of a readable weights file.
 */
export async function askWeights(io: WizardIO, modelsDir: string, seed: number): Promise<string> {
  for (;;) {
    const found = await weightFilesIn(modelsDir);
    const choice = await io.ask<string>({
      type: 'select',
      message: 'VGG16 weights to start from:',
      choices: [
        ...found.map((f) => ({ name: f, value: f, description: `found in ${modelsDir}` })),
        { name: `download the official ImageNet weights (${(OFFICIAL_FILES.notop.size / 1e6).toFixed(0)} MB) into ${modelsDir}`, value: 'fetch' },
        { name: 'a Keras weights file somewhere else', value: 'path' },
        { name: 'random init (no ImageNet knowledge: only for trying the tool out)', value: 'random' },
      ],
    });
    if (choice === 'path') return io.ask<string>({ type: 'input', message: 'Weights file (.h5):', validate: validateWeightsFile });
    if (choice === 'random') {
      const path = join(modelsDir, `vgg16_random_init_notop_seed${seed}.h5`);
      if (!(await exists(path))) await initWeights(path, { includeTop: false, seed });
      io.print(`random-init weights: ${path}`);
      return path;
    }
    if (choice !== 'fetch') return choice;
    try {
      const fetched = await fetchWeights({ which: 'notop', dest: modelsDir });
      return fetched.find((f) => f.name === OFFICIAL_FILES.notop.name)!.path;
    } catch (err) {
      io.print(`could not download the weights: ${describeError(err)}`);
    }
  }
}

/** How much the images look like everyday photos (what ImageNet features know). */
export function askSimilarity(io: WizardIO): Promise<SimilarityAnswer> {
  return io.ask<SimilarityAnswer>({
    type: 'select',
    message: 'How much do your images look like everyday photos (animals, objects, scenes)?',
    default: 'measure',
    choices: [
      { name: 'similar', value: 'similar', description: 'photos of things ImageNet has: its deep features already separate them' },
      { name: 'different', value: 'different', description: 'X-rays, microscopy, satellite, drawings, spectrograms: only early, generic features transfer' },
      { name: 'not sure: let the advisor measure it', value: 'measure', description: 'trains two quick linear probes on cached features (20 images per class and split, up to 100 when the answer is close)' },
    ],
  });
}

/** The strategy, the recommendation preselected with its reason; all four selectable. */
export function askStrategy(io: WizardIO, recommended: StrategyName, reason: string): Promise<StrategyName> {
  io.print(`recommended: ${recommended} (${reason})`);
  return io.ask<StrategyName>({
    type: 'select',
    message: 'Strategy:',
    default: recommended,
    choices: STRATEGY_NAMES.map((s) => ({ name: s === recommended ? `${s} (recommended)` : s, value: s, description: STRATEGY_HELP[s] })),
  });
}

/** The augmentation preset. */
export function askAugment(io: WizardIO): Promise<AugmentPreset> {
  return io.ask<AugmentPreset>({
    type: 'select',
    message: 'Augmentation (random changes to training images so the model does not memorise them):',
    default: 'light',
    choices: AUGMENT_PRESET_NAMES.map((p) => ({ name: p, value: p, description: AUGMENT_HELP[p] })),
  });
}

/** A number validated against the train option's schema; `flag` names it in error messages. */
export async function askNumber(io: WizardIO, option: NumericOption, flag: string, message: string, fallback: number): Promise<number> {
  const raw = await io.ask<string>({ type: 'input', message, default: String(fallback), validate: validateNumber(option, flag) });
  return Number(raw.trim());
}

/** The run directory: a new (or empty) folder. */
export function askOut(io: WizardIO, fallback: string): Promise<string> {
  return io.ask<string>({ type: 'input', message: 'Run directory (a new folder):', default: fallback, validate: validateOutDir });
}

/** The last chance to back out; nothing has been written to the run directory yet. */
export function askConfirm(io: WizardIO): Promise<boolean> {
  return io.ask<boolean>({ type: 'confirm', message: 'Start training now?', default: true });
}

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendPreference } from '../../backend/index.ts';
import { readRandomInitMarker } from '../../keras/index.ts';
import { trainRenderer } from '../render/train-events.ts';
import { parseAugmentOptions } from '../../data/augment-options.ts';
import { renderAugmentPreview } from '../../data/preview.ts';
import { modelsDir } from '../../util/user-dirs.ts';
import { REPORT_FILE } from '../../run/files.ts';
import { advise, ADVISOR_THRESHOLDS, measureSize, STRATEGY_MATRIX } from '../../training/advisor.ts';
import { planStrategy } from '../../strategies/plan.ts';
import type { StrategyName } from '../../strategies/types.ts';
import type { TrainEvent } from '../../training/events.ts';
import { evaluateRun } from '../../inference/evaluate.ts';
import { formatClassificationReport } from '../../inference/metrics.ts';
import type { EvaluationReport } from '../../run/schemas.ts';
import { resolveTrainOptions, type ResolvedTrainOptions, type TrainOptions } from '../../training/options.ts';
import { defaultRunDir, train, type TrainResult } from '../../training/train.ts';
import { writeFileAtomic, writeJson } from '../../util/atomic.ts';
import { randomInitWarning } from '../../warnings.ts';
import { formatCommand, trainCommand, wizardTrainOptions, type WizardAnswers } from './command.ts';
import { WizardIO, type WizardStreams } from './io.ts';
import { askAugment, askConfirm, askDataDir, askNumber, askOut, askSimilarity, askStrategy, askWeights } from './questions.ts';
import { DataDirValidator } from './validate.ts';

/** Options of `runWizard`. */
export interface WizardOptions {
  /** Terminal streams (the CLI passes process.stdin / process.stdout). */
  streams: WizardStreams;
  /** Where weights are looked for, downloaded and random-initialised. Default: {@link modelsDir} (`~/.cache/transferkit/models`). */
  modelsDir?: string;
  /** Train options not asked about, applied to the run and printed in the command (e.g. `{ cache }`). Default: none. */
  trainOptions?: TrainOptions;
  /** Lines instead of progress bars while training, as `train --quiet`. Default: false. */
  quiet?: boolean;
  /** Folder the augmentation preview PNG is written to. Default: the OS temp folder. */
  previewDir?: string;
  /** tfjs backend for the advisor, training and evaluation. Default: initBackend's choice. */
  backend?: BackendPreference;
  /**
   * Aborting stops the advisor's measuring or training within one batch (Ctrl-C outside a prompt):
   * the advisor rejects with an InterruptedError, training keeps its best checkpoint and the wizard ends.
   */
  signal?: AbortSignal;
}

/** What a wizard session ended with. */
export type WizardResult =
  | { status: 'declined'; answers: WizardAnswers; command: string }
  | { status: 'done'; answers: WizardAnswers; command: string; configPath: string; train: TrainResult; evaluation?: EvaluationReport; reportPath: string };

/** The default learning rate of a strategy: its main phase's rate when `--lr` is not given (from the plan). */
function defaultLr(strategy: StrategyName, base: ResolvedTrainOptions, epochs: number): number {
  // With two or more epochs the first phase is always the main one (finetune's warm-up included).
  return planStrategy(strategy, { ...base, epochs: Math.max(2, epochs), lr: undefined }).phases[0]!.optimizer.lr;
}

/**
 * The interactive wizard: asks for every `transferkit train` choice (explaining each), prints the
 * equivalent command, saves the answers as a `--config` file, trains, evaluates and writes the
 * report. Nothing is written into the run directory before the user confirms; Ctrl-C at a prompt
 * rejects with inquirer's ExitPromptError (see `isPromptExit`).
 */
export async function runWizard(options: WizardOptions): Promise<WizardResult> {
  const io = new WizardIO(options.streams);
  // The options not asked (cache, seed, resize, ...) resolved as train resolves them.
  const base = resolveTrainOptions(options.trainOptions);
  io.print('transferkit wizard: from an image folder to a trained, evaluated model. Ctrl-C quits at any question.\n');

  const { dir: dataDir, report } = await askDataDir(io, new DataDirValidator({ valSplit: base.valSplit, seed: base.seed }));
  const dataset = report.dataset!;
  const weights = await askWeights(io, options.modelsDir ?? modelsDir(), base.seed);
  const randomInit = await readRandomInitMarker(weights);
  if (randomInit !== undefined) io.print(`warning: ${randomInitWarning(weights, randomInit).message}`);
  const inputSize = await askNumber(io, 'inputSize', '--input-size', 'Image size in pixels (224 is what VGG16 learned on; smaller trains faster, less accurately):', base.inputSize);

  const similarity = await askSimilarity(io);
  let recommended: StrategyName;
  let reason: string;
  if (similarity === 'measure') {
    io.print('measuring: linear probes on block5_pool and block3_pool features...');
    const renderer = trainRenderer(io.output, { signal: options.signal });
    const advice = await advise(dataset, {
      weights, inputSize, resize: base.resize, cache: base.cache, engine: base.engine, precision: base.precision, backend: options.backend, seed: base.seed, signal: options.signal,
      onEvent: renderer.onEvent,
    }).finally(renderer.close);
    for (const r of advice.reasons) io.print(`advisor: ${r}`);
    const measured = advice.randomInit === undefined ? `${advice.similarity} to everyday photos, as measured` : 'similarity measured on random-init weights, so it says nothing about everyday photos';
    [recommended, reason] = [advice.strategy, `${advice.size} data, ${measured}`];
  } else {
    const { size, imagesPerClass } = measureSize(dataset);
    recommended = STRATEGY_MATRIX[size][similarity];
    reason = `${imagesPerClass} training images per class is ${size} (small below ${ADVISOR_THRESHOLDS.smallPerClass}), and ${similarity} to everyday photos`;
  }
  const strategy = await askStrategy(io, recommended, reason);

  const augment = await askAugment(io);
  if (augment !== 'none') {
    const preview = join(options.previewDir ?? tmpdir(), `transferkit-augment-${augment}.png`);
    await writeFileAtomic(preview, await renderAugmentPreview(dataset, parseAugmentOptions({ preset: augment }), { n: 8, tile: 128, resize: base.resize, seed: base.seed }));
    io.print(`preview of "${augment}" (left: original, right: augmented): ${preview}`);
  }
  const epochs = await askNumber(io, 'epochs', '--epochs', 'Epochs:', base.epochs);
  const batchSize = await askNumber(io, 'batchSize', '--batch-size', 'Batch size:', base.batchSize);
  const lr = await askNumber(io, 'lr', '--lr', `Learning rate (${strategy}'s default shown):`, base.lr ?? defaultLr(strategy, base, epochs));
  const out = await askOut(io, defaultRunDir(strategy));

  const answers: WizardAnswers = { dataDir, weights, strategy, augment, inputSize, epochs, batchSize, lr, seed: base.seed, out };
  const trainOptions = wizardTrainOptions(answers, options.trainOptions);
  const command = formatCommand(trainCommand(dataDir, trainOptions));
  io.print('\nSummary');
  for (const [k, v] of Object.entries(answers)) io.print(`  ${k.padEnd(10)} ${v}`);
  io.print(`\nequivalent command:\n  ${command}\nthen:\n  ${formatCommand(['transferkit', 'evaluate', out])}\n`);
  if (!(await askConfirm(io))) {
    io.print('Nothing was written.');
    return { status: 'declined', answers, command };
  }

  const configPath = `${out.replace(/[\\/]+$/, '')}.json`;
  // Without `out`: repeating the run must make a new run directory, not reuse this one.
  const { out: _runDir, ...repeatable } = trainOptions;
  await writeJson(configPath, repeatable satisfies TrainOptions);
  io.print(`answers saved to ${configPath}; repeat with: ${formatCommand(['transferkit', 'train', dataDir, '--config', configPath])}`);

  const renderer = trainRenderer(io.output, { quiet: options.quiet, signal: options.signal });
  // The random-init warning was shown once already, after the weights question.
  const onEvent = (e: TrainEvent): void => {
    if (e.type !== 'warning' || e.warning.code !== 'random-init-weights') renderer.onEvent(e);
  };
  const result = await train(dataDir, trainOptions, { backend: options.backend, signal: options.signal, onEvent }).finally(renderer.close);
  if (result.interrupted || result.bestEpoch < 0) {
    io.print(`training stopped; ${result.bestEpoch < 0 ? 'no epoch finished' : `the best checkpoint (epoch ${result.bestEpoch + 1}) is kept`} in ${result.runDir}${result.interrupted ? ' (marked interrupted)' : ''}`);
    return { status: 'done', answers, command, configPath, train: result, reportPath: join(result.runDir, REPORT_FILE) };
  }
  io.print('evaluating (evaluation.json, confusion.png, and the report refreshed)...');
  const evaluation = await evaluateRun(result.runDir, undefined, { backend: options.backend });
  const reportPath = join(result.runDir, REPORT_FILE);
  io.print(`\naccuracy ${(evaluation.accuracy * 100).toFixed(1)}% on ${evaluation.data.images} images\n`);
  io.print(formatClassificationReport(evaluation, evaluation.classes));
  io.print(`\nrun directory: ${result.runDir}\nreport: ${reportPath}`);
  return { status: 'done', answers, command, configPath, train: result, evaluation, reportPath };
}

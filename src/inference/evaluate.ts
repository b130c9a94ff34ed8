import { join, resolve } from 'node:path';
import { initBackend, type BackendPreference } from '../backend/index.ts';
import type { Dataset, DatasetItem } from '../data/dataset.ts';
import { scanDataset } from '../data/scan.ts';
import { UserError } from '../errors.ts';
import { defaultOf, defaultSplit, engineSchema } from '../options/pieces.ts';
import { writeConfusionPng } from '../report/confusion.ts';
import { writeReport } from '../report/html-report.ts';
import type { EngineChoice } from '../models/engines/index.ts';
import { EVALUATION_FILES } from '../run/files.ts';
import { loadRun, type LoadedRun } from '../run/load-run.ts';
import { RunDir } from '../run/run-dir.ts';
import type { ConfidentMistake, EvaluationData, EvaluationReport } from '../run/schemas.ts';
import { inferImages, runInt8Prefix } from './infer.ts';
import { classificationReport } from './metrics.ts';

/** Options of `evaluateRun`. */
export interface EvaluateOptions {
  /** How many confidently wrong images to list. Default: 10. */
  worst?: number;
  /** Images per forward pass. Default: 16. */
  batchSize?: number;
  /** Inference engine (see `InferOptions.engine`). Default: auto (onnx when it loads). */
  engine?: EngineChoice;
  /** tfjs backend. Default: initBackend's choice. */
  backend?: BackendPreference;
}

export const EVALUATE_DEFAULTS = { worst: 10, batchSize: 16, engine: defaultOf(engineSchema) } as const;

/** Label `found` items with the run's class indexes; a class the model does not know is an error. */
function relabel(items: readonly { path: string; className: string }[], classes: readonly string[], where: string): DatasetItem[] {
  const index = new Map(classes.map((c, i) => [c, i]));
  const unknown = [...new Set(items.map((i) => i.className).filter((c) => !index.has(c)))];
  if (unknown.length > 0) {
    throw new UserError(`${where}: class folder(s) ${unknown.join(', ')} are not classes of this run (${classes.join(', ')}); evaluate on folders named like the training classes.`);
  }
  return items.map((i) => ({ path: i.path, className: i.className, classIndex: index.get(i.className)! }));
}

async function scanIfPresent(dir: string): Promise<Dataset | undefined> {
  try {
    return await scanDataset(dir, { ...defaultSplit(), hash: false });
  } catch (err) {
    if (err instanceof UserError) return undefined;
    throw err;
  }
}

/**
 * The images to evaluate on. Without `dataDir` (or with the run's own data folder): the `test/`
 * split of the run's data when it has one, else the run's validation split as its manifest recorded
 * it. Another folder: its `test/` split, else its `validation/` split, else every image in its class folders.
 */
export async function evaluationItems(runDir: string, run: Pick<LoadedRun, 'classes' | 'config'>, dataDir?: string): Promise<{ items: DatasetItem[]; data: Omit<EvaluationData, 'images'> }> {
  const runData = run.config.dataDir;
  if (dataDir === undefined || resolve(dataDir) === resolve(runData)) {
    const scanned = await scanIfPresent(runData);
    if (scanned?.splits.test && scanned.splits.test.length > 0) {
      return { items: relabel(scanned.splits.test, run.classes, join(scanned.root, 'test')), data: { source: 'run-test', root: scanned.root, split: 'test' } };
    }
    const files = new RunDir(runDir);
    const manifestPath = files.path('manifest');
    const manifest = await files.readIfPresent('manifest');
    if (manifest === undefined) throw new UserError(`${manifestPath} not found; pass a DATA_DIR to evaluate on, or re-run \`transferkit train\`.`);
    const validation = manifest.splits.validation ?? [];
    if (validation.length === 0) throw new UserError(`${manifestPath} lists no validation images; pass a DATA_DIR to evaluate on.`);
    return {
      items: relabel(validation.map((v) => ({ path: v.path, className: v.class })), run.classes, manifestPath),
      data: { source: 'run-validation', root: runData, split: 'validation' },
    };
  }
  const dataset = await scanDataset(dataDir, { ...defaultSplit(), hash: false });
  const [split, found] =
    dataset.splits.test && dataset.splits.test.length > 0
      ? (['test', dataset.splits.test] as const)
      : dataset.layout === 'presplit'
        ? (['validation', dataset.splits.validation] as const)
        : (['all', [...dataset.splits.train, ...dataset.splits.validation]] as const);
  return { items: relabel(found, run.classes, dataset.root), data: { source: 'folder', root: dataset.root, split } };
}

/** Most confident wrong predictions first. */
function confidentMistakes(items: readonly DatasetItem[], probabilities: readonly Float32Array[], predicted: Int32Array, classes: readonly string[], worst: number): ConfidentMistake[] {
  return items
    .flatMap((item, i) => {
      const p = predicted[i]!;
      if (p === item.classIndex) return [];
      const row = probabilities[i]!;
      return [{ path: item.path, true: item.className, predicted: classes[p]!, confidence: row[p]!, trueProbability: row[item.classIndex]! }];
    })
    .sort((a, b) => b.confidence - a.confidence)
    .slice(0, worst);
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Evaluate a loaded run's model on `items` (labelled with the run's class indexes). */
export async function evaluateModel(
  run: Pick<LoadedRun, 'model' | 'classes' | 'preprocessing'> & Partial<Pick<LoadedRun, 'int8' | 'description'>>,
  items: readonly DatasetItem[],
  options: Pick<EvaluateOptions, 'worst' | 'batchSize' | 'engine'> = {},
): Promise<Pick<EvaluationReport, 'classes' | 'accuracy' | 'perClass' | 'macro' | 'weighted' | 'confusion' | 'confidentlyWrong' | 'unreadable'>> {
  const o = { ...EVALUATE_DEFAULTS, ...options };
  const inferred = await inferImages(run.model, items, run.preprocessing, { batchSize: o.batchSize, engine: o.engine, int8Prefix: runInt8Prefix(run) });
  if (inferred.items.length === 0) throw new UserError(`none of the ${items.length} images could be read (first: ${inferred.unreadable[0]?.path ?? 'none'}); nothing to evaluate.`);
  const truth = Int32Array.from(inferred.items, (i) => i.classIndex);
  const predicted = Int32Array.from(inferred.probabilities, argmax);
  const report = classificationReport(truth, predicted, run.classes.length);
  return {
    classes: [...run.classes],
    accuracy: report.accuracy,
    perClass: report.perClass.map((s, c) => ({ class: run.classes[c]!, ...s })),
    macro: report.macro,
    weighted: report.weighted,
    confusion: report.confusion,
    confidentlyWrong: confidentMistakes(inferred.items, inferred.probabilities, predicted, run.classes, o.worst),
    unreadable: inferred.unreadable,
  };
}

/**
 * `transferkit evaluate RUN_DIR [DATA_DIR]`: accuracy, per-class precision / recall / F1, the
 * confusion matrix and the most confidently wrong images; writes `evaluation.json` and
 * `confusion.png` into the run directory.
 */
export async function evaluateRun(runDir: string, dataDir?: string, options: EvaluateOptions = {}): Promise<EvaluationReport> {
  await initBackend(options.backend);
  const dir = resolve(runDir);
  const run = await loadRun(dir);
  try {
    const { items, data } = await evaluationItems(dir, run, dataDir);
    const scores = await evaluateModel(run, items, options);
    const report: EvaluationReport = {
      format: 'transferkit-evaluation',
      version: 1,
      created: new Date().toISOString(),
      runDir: dir,
      data: { ...data, images: items.length - scores.unreadable.length },
      ...scores,
      files: { confusion: EVALUATION_FILES.confusion },
      ...(run.unfinished ? { unfinished: run.unfinished } : {}),
    };
    const files = new RunDir(dir);
    await writeConfusionPng(files.path('confusion'), report.confusion, report.classes);
    await files.write('evaluation', report);
    // The run's report.html shows the evaluation: refresh it.
    await writeReport(dir);
    return report;
  } finally {
    run.model.dispose();
  }
}

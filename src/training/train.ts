import { access, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { initBackend, type BackendPreference } from '../backend/index.ts';
import { installedVersion } from '../backend/installed-packages.ts';
import { hashFile } from '../data/hash.ts';
import { parseAugmentOptions } from '../data/augment-options.ts';
import { isNoAugmentation } from '../data/augment.ts';
import type { Dataset } from '../data/dataset.ts';
import { createCountingRng } from '../data/random.ts';
import { scanDataset } from '../data/scan.ts';
import { InterruptedError, UserError, readableError } from '../errors.ts';
import { modelWeights, readKerasFile, readRandomInitMarker, writeLegacyWeights } from '../keras/index.ts';
import type { KerasFile } from '../keras/types.ts';
import { OFFICIAL_FILES, fetchWeights, officialFilePath } from '../models/fetch.ts';
import { VGG16_PREPROCESSING, type Preprocessing } from '../models/preprocess.ts';
import { writeLearningCurves } from '../report/curves.ts';
import { writeReport } from '../report/html-report.ts';
import { FP32, type CalibrationRecord, type ResolvedPrecision } from '../cache/precision.ts';
import { planStrategy } from '../strategies/plan.ts';
import type { StrategyPlan } from '../strategies/types.ts';
import { modelsDir } from '../util/user-dirs.ts';
import { parseOrThrow } from '../util/validate.ts';
import { TRANSFERKIT_VERSION } from '../version.ts';
import { randomInitWarning } from '../warnings.ts';
import { ADVISED_SLICE_AT, advise, autoReadCuts, PROBE_CUTS } from './advisor.ts';
import type { TrainingData } from './batch-source.ts';
import { EarlyStopping, HistoryRecorder, ModelCheckpoint, ReduceLROnPlateau, type Callback, type EpochLogs } from './callbacks.ts';
import { balancedClassWeights } from './class-weights.ts';
import { epochEvents, type TrainEvent, type WeightsEvent } from './events.ts';
import { cachedFeatures, decidePrecision, type FeatureOptions } from './features.ts';
import { imageSources } from './image-source.ts';
import { buildNetwork, disposeNetwork } from '../strategies/network.ts';
import { RESUME_DIR, RUN_FILES } from '../run/files.ts';
import { claimRunDir } from '../run/lock.ts';
import { latestResumePoint, readResumePoint } from '../run/resume-point.ts';
import { RunDir } from '../run/run-dir.ts';
import type { AdviceRecord, Manifest, ModelDescription, PrecisionRecord, RunConfig } from '../run/schemas.ts';
import { resolveTrainOptions, trainOptionsSchema, type ResolvedTrainOptions, type TrainOptions } from './options.ts';
import { runPhases } from './run-phases.ts';

/** Runtime hooks of `train` (not part of the reproducible config). */
export interface TrainHooks {
  /** tfjs backend. Default: initBackend's choice. */
  backend?: BackendPreference;
  /**
   * Aborting stops the advisor, extraction or training after the current batch. With a best
   * checkpoint the run is kept and marked interrupted; before one, the run directory is removed and
   * an InterruptedError thrown (cached features stay).
   */
  signal?: AbortSignal;
  /** Replace what the run directory holds (`--overwrite`); without it a non-empty `out` is refused. Default: false. */
  overwrite?: boolean;
  /** Progress, decisions and warnings as they happen (train prints nothing). Default: none. */
  onEvent?: (event: TrainEvent) => void;
}

export interface TrainResult {
  runDir: string;
  plan: StrategyPlan;
  history: EpochLogs[];
  /** Epoch (0-based) of the lowest val_loss: the checkpoint and the saved model. */
  bestEpoch: number;
  /** Stopped by the signal (Ctrl-C). */
  interrupted: boolean;
  /** The advisor's evidence when `strategy` was `auto` (as config.json records it). */
  advice?: AdviceRecord;
  /** Frozen-feature extraction over the whole run (advisor probes included). */
  extraction: RunExtraction;
}

/** What feature extraction cost a run, and in which precision (also in config.json). */
export interface RunExtraction {
  precision: ResolvedPrecision;
  /** Why that precision (the guard's figures, or why int8 was not used). */
  precisionMessage: string;
  /** Image variants run through the prefix (each at most once, whatever the number of cuts). */
  computed: number;
  /** Seconds spent extracting (calibration included). */
  seconds: number;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/**
 * The weights file to use: `--weights`, else the official file (with-top for the vgg head) in the
 * models folder or in Keras's `~/.keras/models`, downloaded into the models folder when in neither.
 */
export async function resolveWeightsPath(o: Pick<ResolvedTrainOptions, 'weights' | 'head'>, onEvent?: (event: WeightsEvent) => void): Promise<string> {
  if (o.weights) {
    if (!(await exists(o.weights))) throw new UserError(`weights file ${o.weights} not found; pass an existing Keras HDF5 file with --weights.`);
    return o.weights;
  }
  const candidates = (o.head === 'vgg' ? [OFFICIAL_FILES.top] : [OFFICIAL_FILES.notop, OFFICIAL_FILES.top]).map(officialFilePath);
  for (const c of candidates) if (await exists(c)) return c;
  // Like Keras's weights='imagenet': the official file is downloaded (md5-checked) on first use.
  const wanted = candidates[0]!;
  onEvent?.({ type: 'weights-missing', dir: modelsDir() });
  try {
    await fetchWeights({ which: o.head === 'vgg' ? 'top' : 'notop', classIndex: false, onEvent: (download) => onEvent?.({ type: 'download', download }) });
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    throw new UserError(
      `${err.message}. For offline use, \`transferkit init-weights ${o.head === 'vgg' ? '' : '--no-top '}--out ${wanted}\` writes random-init weights, or pass --weights FILE.`,
    );
  }
  return wanted;
}

/**
 * Versions recorded in config.json, found the way Node finds the packages (a consumer's
 * node_modules hoists them beside transferkit).
 */
function packageVersions(): Record<string, string> {
  const names = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'sharp', 'h5wasm', 'onnxruntime-node', 'lmdb'];
  return { transferkit: TRANSFERKIT_VERSION, ...Object.fromEntries(names.map((n) => [n, installedVersion(n) ?? 'not installed'])), node: process.version };
}


/** `runs/<UTC date and time>-<strategy>`: the run directory when `out` is not given. */
export function defaultRunDir(strategy: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return join('runs', `${stamp}-${strategy}`);
}

/** What the plan trains on; each strategy's one pass over the files finds the unreadable ones (for the manifest). */
async function trainSources(o: ResolvedTrainOptions, plan: StrategyPlan, dataset: Dataset, featureOptions: FeatureOptions): Promise<TrainingData> {
  const augment = o.augment ? parseAugmentOptions(o.augment) : undefined;
  const augmenting = augment !== undefined && !isNoAugmentation(augment);
  const split = { train: dataset.splits.train, validation: dataset.splits.validation };
  if (plan.cut === null) {
    return imageSources(split, { numClasses: dataset.classes.length, inputSize: o.inputSize, resize: o.resize, seed: o.seed, augment: augmenting ? augment : undefined });
  }
  return cachedFeatures(
    split,
    { ...featureOptions, cut: plan.cut },
    augmenting ? { spec: { options: augment, seed: o.seed }, copies: o.augmentCopies } : undefined,
  );
}

/** A resumed run must see the images it started with, or its epochs would mix two datasets. */
async function sameData(run: RunDir, splits: Manifest['splits']): Promise<void> {
  const saved = await run.read('manifest');
  if (JSON.stringify(saved.splits) !== JSON.stringify(splits)) {
    throw new UserError(`${run.dir}: the data folder changed since the run started (${RUN_FILES.manifest} lists other images); start a new run instead of --resume.`);
  }
}

/**
 * `transferkit train DATA_DIR`: scan the folder, pick the strategy (the advisor measures the data
 * when `auto`), cache the frozen prefix's features, train phase by phase with Keras-style callbacks,
 * and write the run directory (config, classes, manifest, history, curves, best checkpoint and the
 * stitched model). Every error it throws has a one-line message (see {@link readableError}).
 */
export async function train(dataDir: string, options: TrainOptions = {}, hooks: TrainHooks = {}): Promise<TrainResult> {
  try {
    return await runTraining(dataDir, resolveTrainOptions(options), hooks, false);
  } catch (err) {
    throw readableError(err);
  }
}

/**
 * `transferkit train --resume RUN_DIR`: continue an interrupted or killed run from its last
 * completed epoch, with the data folder and options it was started with. The result equals the
 * uninterrupted run's.
 */
export async function resumeTraining(runDir: string, hooks: Omit<TrainHooks, 'overwrite'> = {}): Promise<TrainResult> {
  try {
    const run = new RunDir(runDir);
    const config = await run.read('config');
    // A finished run removes its resume points; an interrupted one (Ctrl-C) keeps them beside its model.
    if ((await latestResumePoint(runDir)) === undefined && (await run.has('modelWeights'))) {
      throw new UserError(`run ${runDir} already finished (it has ${RUN_FILES.modelWeights}); nothing to resume.`);
    }
    // Runs from before `quiet` became a rendering choice of the CLI recorded it among the options.
    const saved = { ...config.options };
    delete saved.quiet;
    // The recorded options go through the train schema again, as any options do.
    const options = parseOrThrow(trainOptionsSchema, { ...saved, strategy: config.strategy, out: runDir }, `training options in ${run.path('config')}`);
    const resumed: ResumedRun = { advice: config.advice, plan: config.plan, precision: config.precision };
    return await runTraining(config.dataDir, options, { ...hooks, resumed }, true);
  } catch (err) {
    throw readableError(err);
  }
}

/** What a resumed run keeps from its config.json: the advice, plan and precision it started with. */
interface ResumedRun {
  advice?: AdviceRecord;
  plan: StrategyPlan;
  /** Absent in runs from before precision was recorded: those read fp32 features. */
  precision?: PrecisionRecord;
}

type RunHooks = TrainHooks & { resumed?: ResumedRun };

/** What the run's layers share: hooks, where events go, and whether it continues a run. */
interface RunContext {
  hooks: RunHooks;
  emit: (event: TrainEvent) => void;
  resuming: boolean;
}

/** The run directory's lock around the run. */
async function runTraining(dataDir: string, o: ResolvedTrainOptions, hooks: RunHooks, resuming: boolean): Promise<TrainResult> {
  if (hooks.signal?.aborted) throw new InterruptedError('train: the abort signal had already fired; pass a fresh AbortSignal for each run.');
  const ctx: RunContext = { hooks, emit: hooks.onEvent ?? (() => {}), resuming };
  const claim = { overwrite: hooks.overwrite, resume: resuming, log: (message: string) => ctx.emit({ type: 'lock', message }) };
  // Claimed first when the folder is known, so a second run into it stops before doing any work.
  let lock = o.out !== undefined ? await claimRunDir(resolve(o.out), claim) : undefined;
  let finished = false;
  try {
    const result = await trainInto(dataDir, o, ctx, async (strategy) => (lock ??= await claimRunDir(resolve(defaultRunDir(strategy)), claim)).dir);
    finished = true;
    return result;
  } finally {
    await lock?.release(!finished);
  }
}

async function trainInto(dataDir: string, o: ResolvedTrainOptions, ctx: RunContext, claimDir: (strategy: string) => Promise<string>): Promise<TrainResult> {
  const { hooks, emit, resuming } = ctx;
  const backend = await initBackend(hooks.backend);
  const dataset = await scanDataset(dataDir, { valSplit: o.valSplit, seed: o.seed });
  emit({ type: 'scan', dataDir, classes: dataset.classes, train: dataset.splits.train.length, validation: dataset.splits.validation.length });
  for (const message of dataset.warnings) emit({ type: 'warning', warning: { code: 'dataset', message } });
  if (dataset.splits.validation.length === 0) throw new UserError(`${dataDir}: no validation images; add a validation/ folder or use --val-split.`);
  const needsWeights = !(o.strategy === 'retrain' && o.init === 'scratch');
  const weightsPath = needsWeights ? await resolveWeightsPath(o, emit) : undefined;
  const randomInit = weightsPath ? await readRandomInitMarker(weightsPath) : undefined;
  if (weightsPath && randomInit !== undefined) emit({ type: 'warning', warning: randomInitWarning(weightsPath, randomInit) });
  const extraction: RunExtraction = { precision: FP32, precisionMessage: 'no frozen features (the whole network trains)', computed: 0, seconds: 0 };
  const featureOptions: FeatureOptions = {
    weights: weightsPath ?? '', inputSize: o.inputSize, resize: o.resize, cache: o.cache, engine: o.engine, backend: hooks.backend, signal: hooks.signal,
    onEvent: emit,
    onExtracted: (s) => {
      extraction.computed += s.computed;
      extraction.seconds += s.seconds;
    },
  };
  const fixedPlan = hooks.resumed?.plan ?? (o.strategy === 'auto' ? undefined : planStrategy(o.strategy, o));
  const readCuts = fixedPlan ? (fixedPlan.cut === null ? [] : [fixedPlan.cut]) : autoReadCuts(dataset, o.unfreezeFrom);
  let calibration: CalibrationRecord | undefined;
  if (hooks.resumed && readCuts.length > 0) {
    // A resumed run reads the features it started with: its recorded precision, never a new decision.
    const { message, ...recorded } = hooks.resumed.precision ?? { ...FP32, message: 'precision fp32 (recorded before precision was)' };
    Object.assign(extraction, { precision: recorded, precisionMessage: message });
    featureOptions.precision = extraction.precision;
  } else if (readCuts.length > 0) {
    // Decided once for the whole run, on its training images: every cut shares one calibration.
    const started = performance.now();
    const { decision } = await decidePrecision(dataset.splits.train, { ...featureOptions, precision: o.precision }, readCuts);
    extraction.seconds += (performance.now() - started) / 1000;
    if (decision) {
      Object.assign(extraction, { precision: decision.resolved, precisionMessage: decision.message });
      calibration = decision.resolved.precision === 'int8' ? decision.calibration : undefined;
    } else {
      extraction.precisionMessage = 'precision fp32 (asked for)';
    }
    featureOptions.precision = extraction.precision;
  }
  let advice = hooks.resumed?.advice;
  if (o.strategy === 'auto') {
    const fresh = await advise(dataset, { ...featureOptions, extraCuts: readCuts.filter((c) => c !== PROBE_CUTS.deep && c !== PROBE_CUTS.early), seed: o.seed });
    emit({ type: 'advice', advice: fresh });
    advice = fresh;
  }
  // auto slices where its early probe measured, so the slice features are already cached.
  const plan = fixedPlan ?? planStrategy(advice!.strategy, { ...o, sliceAt: ADVISED_SLICE_AT });
  const runDir = await claimDir(plan.strategy);
  const run = new RunDir(runDir);
  const from = resuming ? await readResumePoint(runDir) : undefined;
  emit({ type: 'run-dir', runDir, ...(resuming ? { resume: { afterEpoch: from?.epoch ?? null } } : {}) });
  const classes = dataset.classes;
  const preprocessing: Preprocessing = { ...VGG16_PREPROCESSING, size: [o.inputSize, o.inputSize], resize: o.resize };
  const weights: KerasFile | undefined = weightsPath && plan.init === 'pretrained' ? await readKerasFile(weightsPath) : undefined;
  const random = createCountingRng(`train:${o.seed}`);
  // Built before feature extraction so weights that do not fit (no top for --head vgg) fail at once.
  const net = await buildNetwork({ plan, inputSize: o.inputSize, classes: classes.length, weights, random });
  let data: TrainingData | undefined;
  // A run stopped before its first checkpoint holds nothing of use: it is removed (a failed one too,
  // unless it is a resumed run, which stays as it was).
  let kept = resuming;
  try {
    data = await trainSources(o, plan, dataset, featureOptions);
    const weightsRef = weightsPath ? { path: resolve(weightsPath), sha256: await hashFile(weightsPath) } : undefined;
    // The frozen prefix stays in the weights file: the run stores the trained layers and a reference.
    const frozen = weightsRef && plan.cut !== null && plan.init === 'pretrained' ? weightsRef : undefined;
    const description: ModelDescription = { format: 'transferkit-model', version: 1, plan, inputSize: o.inputSize, classes, preprocessing, ...(frozen ? { frozen } : {}) };
    // A resumed run keeps the config it started with (its precision included), less the mark of its interruption.
    const config: RunConfig = resuming
      ? await run.read('config')
      : {
          dataDir: resolve(dataDir), options: o, strategy: plan.strategy, plan, advice, seed: o.seed, backend: backend.name,
          weights: weightsRef ? { ...weightsRef, ...(randomInit === undefined ? {} : { randomInit }) } : null,
          precision: { ...extraction.precision, message: extraction.precisionMessage },
          preprocessing, versions: packageVersions(), created: new Date().toISOString(),
        };
    delete config.interrupted;
    const manifest: Manifest = {
      classes,
      splits: Object.fromEntries(Object.entries(data.items).map(([split, items]) => [split, items.map((i) => ({ path: i.path, hash: i.hash, class: i.className }))])),
      unreadable: data.unreadable,
      warnings: dataset.warnings,
    };
    if (resuming) await sameData(run, manifest.splits);
    else {
      await run.write('config', config);
      if (calibration) await run.write('calibration', calibration);
      await run.write('classes', classes);
      await run.write('model', description);
      await run.write('manifest', manifest);
    }
    for (const image of data.unreadable) emit({ type: 'unreadable', image });
    emit({ type: 'training', samples: data.train.labels.length, images: data.items.train.length, validation: data.val.labels.length });

    const checkpointPath = join(runDir, RUN_FILES.checkpoint);
    const checkpoint = new ModelCheckpoint({ write: (trainer) => writeLegacyWeights(checkpointPath, modelWeights(trainer)), minDelta: o.minDelta });
    const history = new HistoryRecorder({ write: (h) => run.writeHistory(h) });
    const progress = epochEvents(o.epochs, (e) => {
      emit(e);
      if (e.type === 'epoch-end' && checkpoint.bestEpoch === e.logs.epoch) emit({ type: 'checkpoint', epoch: e.logs.epoch, val_loss: e.logs.val_loss, path: checkpointPath });
    });
    // Resume points store callback state by position: the progress callback keeps the third place.
    const callbacks: Callback[] = [history, checkpoint, progress];
    if (o.patience > 0) callbacks.push(new EarlyStopping({ patience: o.patience, minDelta: o.minDelta }));
    if (o.reduceLrPatience > 0) callbacks.push(new ReduceLROnPlateau({ factor: o.reduceLrFactor, patience: o.reduceLrPatience, minDelta: o.minDelta, minLr: 1e-7 }));
    const classWeights = o.classWeight === 'auto' ? balancedClassWeights(data.train.labels, classes.length) : undefined;
    const { interrupted } = await runPhases({
      runDir, plan, trainer: net.trainer, random, callbacks, from, train: data.train, val: data.val, numClasses: classes.length,
      batchSize: o.batchSize, classWeights, shouldStop: () => hooks.signal?.aborted ?? false,
    });
    if (interrupted) emit({ type: 'interrupted', interruption: interrupted });
    kept = !interrupted || checkpoint.bestEpoch >= 0;
    if (!kept) throw new InterruptedError('interrupted before the first epoch finished: nothing to keep, so the run directory was removed (extracted features stay cached for the next run).');
    // The interruption is recorded (and its resume points kept) so `--resume` continues the run; finishing clears both.
    if (interrupted || resuming) await run.write('config', { ...config, ...(interrupted ? { interrupted } : {}) });
    checkpoint.restoreBest(net.trainer);
    if (checkpoint.bestEpoch >= 0) {
      await writeLegacyWeights(join(runDir, RUN_FILES.modelWeights), modelWeights(frozen ? net.trainer : net.model));
      await writeLearningCurves(join(runDir, RUN_FILES.curves), history.history);
    }
    await writeReport(runDir);
    if (!interrupted) await rm(join(runDir, RESUME_DIR), { recursive: true, force: true });
    emit({ type: 'done', runDir, bestEpoch: checkpoint.bestEpoch, interrupted: interrupted !== undefined });
    return { runDir, plan, history: history.history, bestEpoch: checkpoint.bestEpoch, interrupted: interrupted !== undefined, advice, extraction };
  } finally {
    data?.train.dispose();
    data?.val.dispose();
    disposeNetwork(net);
    if (!kept && !(await run.has('checkpoint'))) await run.discard();
  }
}

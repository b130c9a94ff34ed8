/**
 * The run directory's JSON files as zod schemas: what `train` and `evaluate` write and every reader
 * (loadRun, the report, resume, export) validates. Parts whose types a lower folder owns (the plan,
 * the preprocessing, int8 ranges) are checked against those types at compile time.
 */
import { z } from 'zod';
import { augmentInputSchema } from '../data/augment-options.ts';
import { RESIZE_MODES } from '../data/decode.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import type { Int8Ranges } from '../models/engines/prefix-graph.ts';
import type { Preprocessing } from '../models/preprocess.ts';
import { STRATEGY_NAMES, type StrategyPlan } from '../strategies/types.ts';

const unreadableSchema = z.object({ path: z.string(), reason: z.string() }) satisfies z.ZodType<UnreadableImage>;

const optimizerSchema = z.object({ name: z.enum(['adam', 'sgd', 'rmsprop']), lr: z.number(), momentum: z.number() });

export const strategyPlanSchema = z.object({
  strategy: z.enum(STRATEGY_NAMES),
  cut: z.string().nullable(),
  keep: z.string(),
  suffix: z.array(z.string()),
  head: z.object({
    kind: z.enum(['flatten', 'gap', 'vgg']),
    dense: z.number().int().min(0),
    dropout: z.number(),
    batchnorm: z.boolean(),
    vggTrain: z.array(z.enum(['fc1', 'fc2', 'predictions'])),
  }),
  init: z.enum(['pretrained', 'scratch']),
  phases: z.array(z.object({ name: z.string(), epochs: z.number().int().min(0), optimizer: optimizerSchema, trainable: z.array(z.string()) })),
}) satisfies z.ZodType<StrategyPlan>;

export const preprocessingSchema = z.object({
  mode: z.literal('caffe'),
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  resize: z.enum(RESIZE_MODES),
}) satisfies z.ZodType<Preprocessing>;

/** `model.json`: enough to rebuild the stitched model's architecture with our code. */
export const modelDescriptionSchema = z.object({
  format: z.literal('transferkit-model'),
  version: z.literal(1),
  /** The strategy as data: cut, kept layers, head. */
  plan: strategyPlanSchema,
  inputSize: z.number().int().positive(),
  classes: z.array(z.string()),
  /** The exact preprocessing training used; prediction must apply the same. */
  preprocessing: preprocessingSchema,
  /**
   * The weights file the frozen prefix (every layer before the cut) loads from, and its sha256: the
   * run does not store a second copy of it. Absent for runs where every layer trained or from before.
   */
  frozen: z.object({ path: z.string(), sha256: z.string() }).optional(),
});
export type ModelDescription = z.infer<typeof modelDescriptionSchema>;

/** The advisor's evidence as `config.json` records it (thresholds as they were when the run started). */
export const adviceRecordSchema = z.object({
  strategy: z.enum(STRATEGY_NAMES),
  size: z.enum(['small', 'large']),
  similarity: z.enum(['similar', 'different']),
  /** Median training images per class. */
  imagesPerClass: z.number(),
  /** Linear-probe validation accuracy at each cut, and the images measured on (absent in runs from before it was recorded). */
  probe: z.object({ deep: z.number(), early: z.number(), images: z.object({ train: z.number().int(), validation: z.number().int() }).optional() }),
  thresholds: z.record(z.string(), z.number()),
  /** The weights' random-init marker: the probes then measured random features, not ImageNet's. */
  randomInit: z.string().optional(),
  /** One sentence per piece of evidence, for printing. */
  reasons: z.array(z.string()),
  /** Probed images that could not be read (skipped). */
  unreadable: z.array(unreadableSchema),
});
export type AdviceRecord = z.infer<typeof adviceRecordSchema>;

/** Where a Ctrl-C stopped a run (the run is kept: its model is the best checkpoint up to then). */
export const interruptionSchema = z.object({ phase: z.string(), epochsCompleted: z.number().int().min(0), at: z.string() });
export type Interruption = z.infer<typeof interruptionSchema>;

/** The frozen-feature precision a run decided once: fp32, or int8 under one calibration, and why. */
export const precisionRecordSchema = z.discriminatedUnion('precision', [
  z.object({ precision: z.literal('fp32'), message: z.string() }),
  z.object({ precision: z.literal('int8'), calibration: z.string(), message: z.string() }),
]);
export type PrecisionRecord = z.infer<typeof precisionRecordSchema>;

/**
 * `config.json`: the resolved config a run was trained with. `options` holds every resolved train
 * option (training validates them again on `--resume`); the fields named here are those the report reads.
 */
export const runConfigSchema = z.object({
  /** The data folder (absolute). */
  dataDir: z.string(),
  options: z.looseObject({
    inputSize: z.number().int().positive(),
    resize: z.enum(RESIZE_MODES),
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    augment: augmentInputSchema.optional(),
  }),
  strategy: z.enum(STRATEGY_NAMES),
  plan: strategyPlanSchema,
  /** The advisor's evidence when the strategy was `auto`. */
  advice: adviceRecordSchema.optional(),
  seed: z.number().int(),
  /** The tfjs backend the run trained on. */
  backend: z.string(),
  /** The VGG16 weights file and its sha256; null when every layer started from glorot init. */
  weights: z.object({ path: z.string(), sha256: z.string(), randomInit: z.string().optional() }).nullable(),
  /** Frozen-feature precision (runs from before int8 support have none: fp32). */
  precision: precisionRecordSchema.optional(),
  preprocessing: preprocessingSchema.optional(),
  /** transferkit, its engines' packages and node, as installed when the run started. */
  versions: z.record(z.string(), z.string()).optional(),
  /** ISO time the run started. */
  created: z.string(),
  /** Set while the run stands interrupted (`train --resume` continues it; finishing clears it). */
  interrupted: interruptionSchema.optional(),
});
export type RunConfig = z.infer<typeof runConfigSchema>;

/** `manifest.json`: the images a run trained and validated on, and those it skipped. */
export const manifestSchema = z.object({
  classes: z.array(z.string()),
  splits: z.record(z.string(), z.array(z.object({ path: z.string(), hash: z.string().optional(), class: z.string() }))),
  unreadable: z.array(unreadableSchema),
  /** Scan warnings (empty class folders, classes missing from a split); absent in older runs. */
  warnings: z.array(z.string()).optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** A metric JSON could not hold (NaN, written as null) reads back as NaN. */
const metric = z.number().or(z.null().transform(() => Number.NaN));

/** What is logged after each epoch, with Keras's names (`history.json` holds one per epoch). */
export const epochLogsSchema = z.object({
  /** 0-based epoch over the whole run (phases continue the count). */
  epoch: z.number().int().min(0),
  phase: z.string(),
  loss: metric,
  acc: metric,
  val_loss: metric,
  val_acc: metric,
  /** Learning rate used during the epoch. */
  lr: metric,
});
export type EpochLogs = z.output<typeof epochLogsSchema>;

/** Precision, recall and F1 of one class (or an average over classes). */
export const classScoresSchema = z.object({
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  /** Images whose true class this is (for an average: all images). */
  support: z.number().int().min(0),
});
export type ClassScores = z.infer<typeof classScoresSchema>;

/** Where the evaluated images came from. */
export const evaluationDataSchema = z.object({
  /**
   * `run-validation`: the run's own validation split (its manifest); `run-test`: the `test/` folder of
   * the run's data; `folder`: a DATA_DIR given to evaluate.
   */
  source: z.enum(['run-validation', 'run-test', 'folder']),
  /** The data folder (absolute). */
  root: z.string(),
  /** Which part of it: a split, or `all` images of a folder with one sub-folder per class. */
  split: z.enum(['validation', 'test', 'all']),
  /** Images evaluated (readable ones). */
  images: z.number().int().min(0),
});
export type EvaluationData = z.infer<typeof evaluationDataSchema>;

/** One of the most confidently wrong predictions. */
export const confidentMistakeSchema = z.object({
  path: z.string(),
  /** True class name. */
  true: z.string(),
  /** Predicted class name. */
  predicted: z.string(),
  /** Probability of the predicted class. */
  confidence: z.number(),
  /** Probability the model gave the true class. */
  trueProbability: z.number(),
});
export type ConfidentMistake = z.infer<typeof confidentMistakeSchema>;

/** `evaluation.json`, version 1; all probabilities and scores are in [0, 1]. */
export const evaluationSchema = z.object({
  format: z.literal('transferkit-evaluation'),
  version: z.literal(1),
  /** ISO time of the evaluation. */
  created: z.string(),
  /** Absolute run directory. */
  runDir: z.string(),
  data: evaluationDataSchema,
  /** The run's classes, in label order (indexes of `confusion` and `perClass`). */
  classes: z.array(z.string()),
  accuracy: z.number(),
  /** Per class, in `classes` order. */
  perClass: z.array(classScoresSchema.extend({ class: z.string() })),
  macro: classScoresSchema,
  weighted: classScoresSchema,
  /** `confusion[t][p]`: images of true class t predicted as p. */
  confusion: z.array(z.array(z.number().int().min(0))),
  /** Wrong predictions, highest `confidence` first (at most `EvaluateOptions.worst`). */
  confidentlyWrong: z.array(confidentMistakeSchema),
  /** Images that could not be decoded (left out of every figure above). */
  unreadable: z.array(unreadableSchema),
  /** Plot written beside this file. */
  files: z.object({ confusion: z.string() }),
  /** Set when the run did not finish: the model is its best checkpoint (`LoadedRun.unfinished`). */
  unfinished: z.string().optional(),
});
export type EvaluationReport = z.infer<typeof evaluationSchema>;

export const int8RangesSchema = z.object({
  input: z.tuple([z.number(), z.number()]),
  activations: z.record(z.string(), z.number()),
  weightBits: z.union([z.literal(7), z.literal(8)]),
}) satisfies z.ZodType<Int8Ranges>;

/** `int8-calibration.json`: the cache's calibration record; a run reads back its fingerprint and ranges. */
export const runCalibrationSchema = z.object({ fingerprint: z.string(), ranges: int8RangesSchema });
export type RunCalibration = z.infer<typeof runCalibrationSchema>;

/** Each JSON file of a run directory with its schema, and what it is in words (for errors). */
export const RUN_JSON = {
  config: { schema: runConfigSchema, what: 'resolved config', writer: 'transferkit train' },
  classes: { schema: z.array(z.string()), what: 'class list', writer: 'transferkit train' },
  manifest: { schema: manifestSchema, what: 'image manifest', writer: 'transferkit train' },
  history: { schema: z.array(epochLogsSchema), what: 'training history', writer: 'transferkit train' },
  model: { schema: modelDescriptionSchema, what: 'model description', writer: 'transferkit train' },
  calibration: { schema: runCalibrationSchema, what: 'int8 calibration', writer: 'transferkit train' },
  evaluation: { schema: evaluationSchema, what: 'evaluation', writer: 'transferkit evaluate' },
} as const;
export type RunJsonFile = keyof typeof RUN_JSON;
/** What a JSON file of a run directory holds, validated. */
export type RunJson<K extends RunJsonFile> = z.output<(typeof RUN_JSON)[K]['schema']>;

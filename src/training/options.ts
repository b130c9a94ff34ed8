import { z } from 'zod';
import { VGG16_BASE, type Vgg16LayerName } from '../models/vgg16-spec.ts';
import { OPTION_PIECES } from '../options/pieces.ts';
import { STRATEGY_NAMES } from '../strategies/types.ts';
import { parseOrThrow } from '../util/validate.ts';

const convNames = VGG16_BASE.filter((l) => l.kind === 'conv').map((l) => l.name) as [Vgg16LayerName, ...Vgg16LayerName[]];
const positive = z.number().positive();

/**
 * Every `train` option with its default: the options shared with other commands are options/'s
 * pieces, the train-only ones are defined here. The CLI flags, `--config` JSON files (the wizard
 * writes them) and library callers all go through `resolveTrainOptions`.
 */
export const trainOptionsSchema = z
  .object({
    /** freeze | slice | finetune | retrain | auto (the advisor measures the data and picks). Default: auto. */
    strategy: z.enum([...STRATEGY_NAMES, 'auto']).default('auto'),
    /** slice: the last kept layer. Default: block4_pool. */
    sliceAt: z.enum(['block3_pool', 'block4_pool']).default('block4_pool'),
    /** finetune: the first layer that trains after the warm-up. Default: block5_conv1. */
    unfreezeFrom: z.enum(convNames).default('block5_conv1'),
    /** finetune: head warm-up epochs on frozen features; default half of `epochs` (at least 1). */
    warmupEpochs: z.number().int().min(0).optional(),
    /** finetune: optimiser after the warm-up. Default: sgd. */
    finetuneOptimizer: z.enum(['adam', 'sgd', 'rmsprop']).default('sgd'),
    /** finetune: learning rate after the warm-up. Default: 1e-4. */
    finetuneLr: positive.default(1e-4),
    /** SGD momentum (finetune phase and `--optimizer sgd`). Default: 0.9. */
    momentum: z.number().min(0).max(1).default(0.9),
    /** retrain: start from the weights file (`pretrained`) or glorot init (`scratch`). Default: pretrained. */
    init: z.enum(['pretrained', 'scratch']).default('pretrained'),
    /** Head kind: gap | flatten | vgg (pretrained fc1/fc2, needs with-top weights). Default: gap. */
    head: z.enum(['flatten', 'gap', 'vgg']).default('gap'),
    /** Hidden Dense units of a gap/flatten head; 0 = none. Default: 256. */
    dense: z.number().int().min(0).default(256),
    /** Dropout rate before predictions. Default: 0.5. */
    dropout: z.number().min(0).max(0.95).default(0.5),
    /** BatchNormalization after the hidden Dense. Default: false. */
    batchnorm: z.boolean().default(false),
    /** vgg head: which of fc1/fc2/predictions train. Default: fc2, predictions. */
    vggTrain: z.array(z.enum(['fc1', 'fc2', 'predictions'])).min(1).default(['fc2', 'predictions']),
    /** vgg head: dropout between fc1, fc2 and predictions (VGG's own 0.5; lower it when underfitting). Default: 0.5. */
    vggDropout: z.number().min(0).max(0.95).default(0.5),
    /** Total epochs (finetune: warm-up included). Default: 10. */
    epochs: z.number().int().min(1).default(10),
    /** Batch size. Default: 32. */
    batchSize: z.number().int().min(1).default(32),
    /** Learning rate of the main phase; default per strategy (adam 1e-3 on features, 1e-4 for retrain). */
    lr: positive.optional(),
    /** Optimiser of the main phase. Default: adam. */
    optimizer: z.enum(['adam', 'sgd', 'rmsprop']).default('adam'),
    /** `auto` weights classes inversely to their frequency (sklearn "balanced"). Default: none. */
    classWeight: z.enum(['none', 'auto']).default('none'),
    /** Seed for weight init, splits, shuffling, dropout and augmentation. Default: 1337. */
    seed: OPTION_PIECES.seed,
    /** Run directory. Default: runs/<date>-<strategy>. */
    out: z.string().min(1).optional(),
    /** VGG16 weights file (Keras HDF5); default the official Keras file (see `resolveWeightsPath` in train.ts; downloaded once). */
    weights: OPTION_PIECES.weights,
    /** Square input side in pixels (>= 32; the vgg head needs 224). Default: 224. */
    inputSize: OPTION_PIECES.inputSize,
    /** How images are fitted to the input (see ResizeMode). Default: DEFAULT_RESIZE, Keras load_img nearest. */
    resize: OPTION_PIECES.resize,
    /** Validation fraction when the folder has no train/validation split. Default: 0.2. */
    valSplit: OPTION_PIECES.valSplit,
    /** Early stopping patience in epochs on val_loss (0 = off). Default: 5. */
    patience: z.number().int().min(0).default(5),
    /** Reduce-LR-on-plateau patience in epochs (0 = off). Default: 3. */
    reduceLrPatience: z.number().int().min(0).default(3),
    /** Factor applied to the learning rate on a plateau. Default: 0.2. */
    reduceLrFactor: z.number().gt(0).lt(1).default(0.2),
    /** Smallest change of val_loss that counts as an improvement. Default: 0. */
    minDelta: z.number().min(0).default(0),
    /** Augmentation: a preset and/or Keras ImageDataGenerator fields (`{ preset: 'standard' }`). Default: none. */
    augment: OPTION_PIECES.augment,
    /** Augmented copies per training image (feature variants cycled through epochs). Default: 1 when augmenting. */
    augmentCopies: OPTION_PIECES.augmentCopies,
    /** Feature cache directory. Default: `~/.cache/transferkit/features`. */
    cache: OPTION_PIECES.cache,
    /** Feature-extraction engine. Default: auto. */
    engine: OPTION_PIECES.engine,
    /** Frozen-feature precision: auto (int8 on onnx CPU when the guard passes) | fp32 | int8. Default: auto. */
    precision: OPTION_PIECES.precision,
  })
  .strict();

/** What a caller may pass (every field optional). */
export type TrainOptions = z.input<typeof trainOptionsSchema>;
/** Options after validation and defaults. */
export type ResolvedTrainOptions = z.output<typeof trainOptionsSchema>;

/** Validate once at the edge; errors name the option and what was expected. */
export function resolveTrainOptions(options: TrainOptions = {}): ResolvedTrainOptions {
  return parseOrThrow(trainOptionsSchema, options, 'training options');
}

/** The strategies of the size x similarity matrix (plus `auto`, resolved by the advisor). */
export const STRATEGY_NAMES = ['freeze', 'slice', 'finetune', 'retrain'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** Where the pretrained classifier's layers come from when `head` is `vgg`. */
export type VggTopLayer = 'fc1' | 'fc2' | 'predictions';

/** The new classifier put after the kept convolutional layers. */
export interface HeadSpec {
  /** `gap`: global average pooling; `flatten`: keep spatial layout; `vgg`: pretrained fc1/fc2. */
  kind: 'flatten' | 'gap' | 'vgg';
  /** Units of the hidden Dense layer (`dense`, relu) for flatten/gap; 0 = no hidden layer. */
  dense: number;
  /** Dropout rate before `predictions` (flatten/gap) or between fc1/fc2/predictions (vgg). */
  dropout: number;
  /** A BatchNormalization layer after the hidden Dense (or after pooling when dense is 0). */
  batchnorm: boolean;
  /** For `vgg`: which of fc1/fc2/predictions train. */
  vggTrain: VggTopLayer[];
}

/** Optimiser names a phase can use. */
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

/**
 * What `planStrategy` reads: the head and learning-schedule choices of a run (a subset of the train
 * options, so a resolved `TrainOptions` object can be passed as it is). Defaults live with the train
 * options, not here.
 */
export interface StrategyArgs {
  /** Head kind. */
  head: HeadSpec['kind'];
  /** Hidden Dense units of a gap/flatten head (0 = none). */
  dense: number;
  /** Dropout of a gap/flatten head. */
  dropout: number;
  /** Dropout between fc1, fc2 and predictions of a vgg head. */
  vggDropout: number;
  /** BatchNormalization after the hidden Dense. */
  batchnorm: boolean;
  /** vgg head: which of fc1/fc2/predictions train. */
  vggTrain: VggTopLayer[];
  /** Square input side in pixels (the vgg head needs 224). */
  inputSize: number;
  /** Total epochs (finetune: warm-up included). */
  epochs: number;
  /** Main-phase learning rate; undefined = the strategy's default. */
  lr?: number;
  /** Main-phase optimiser. */
  optimizer: OptimizerName;
  /** SGD momentum. */
  momentum: number;
  /** slice: the last kept layer. */
  sliceAt: string;
  /** finetune: the first layer that trains after the warm-up. */
  unfreezeFrom: string;
  /** finetune: warm-up epochs; undefined = half of `epochs`. */
  warmupEpochs?: number;
  /** finetune: optimiser and learning rate after the warm-up. */
  finetuneOptimizer: OptimizerName;
  finetuneLr: number;
  /** retrain: start from the weights file or from glorot init. */
  init: 'pretrained' | 'scratch';
}

/** Optimiser and learning rate of one phase. */
export interface OptimizerSpec {
  name: OptimizerName;
  lr: number;
  /** SGD momentum (0 = plain SGD). */
  momentum: number;
}

/**
 * One stretch of training with a fixed set of trainable layers (Lightning's "what to unfreeze at
 * epoch N" as data): layers not listed stay frozen and run in inference mode.
 */
export interface PhaseSpec {
  name: string;
  epochs: number;
  optimizer: OptimizerSpec;
  /** Names (Keras layer names) of the layers whose weights train in this phase. */
  trainable: string[];
}

/** A strategy as data: where the network is cut, what is kept, what trains and how. */
export interface StrategyPlan {
  strategy: StrategyName;
  /**
   * The last frozen VGG16 layer whose output is cached as features; `null` = no cut, the network
   * trains from images (retrain).
   */
  cut: string | null;
  /** The last VGG16 base layer kept (block5_pool except for slice). */
  keep: string;
  /** VGG16 base layers after `cut` up to `keep`, which the training network contains. */
  suffix: string[];
  head: HeadSpec;
  /** `pretrained` loads the weights file into the kept layers; `scratch` starts from glorot init. */
  init: 'pretrained' | 'scratch';
  phases: PhaseSpec[];
}

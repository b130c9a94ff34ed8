import { UsageError } from '../errors.ts';
import { VGG16_LAYER_NAMES, vgg16LayerIndex } from '../models/vgg16-spec.ts';
import { trainableHeadLayers } from './head.ts';
import type { HeadSpec, OptimizerSpec, PhaseSpec, StrategyArgs, StrategyName, StrategyPlan } from './types.ts';

/** Main-phase learning rates when `--lr` is not given: heads on features tolerate more than a whole network. */
const DEFAULT_LR = { features: 1e-3, retrainPretrained: 1e-4, retrainScratch: 1e-3 } as const;

/** VGG16 base layers strictly after `from` up to and including `to` (`from` null = from the input). */
function layersBetween(from: string | null, to: string): string[] {
  const start = from === null ? 0 : vgg16LayerIndex(from) + 1;
  return VGG16_LAYER_NAMES.slice(start, vgg16LayerIndex(to) + 1);
}

function headOf(o: StrategyArgs): HeadSpec {
  return {
    kind: o.head,
    dense: o.dense,
    dropout: o.head === 'vgg' ? o.vggDropout : o.dropout,
    batchnorm: o.batchnorm,
    vggTrain: o.vggTrain,
  };
}

function mainOptimizer(o: StrategyArgs, defaultLr: number): OptimizerSpec {
  return { name: o.optimizer, lr: o.lr ?? defaultLr, momentum: o.optimizer === 'sgd' ? o.momentum : 0 };
}

/**
 * The strategy table of DESIGN.md as data. `strategy` must already be resolved (the advisor turns
 * `auto` into one of the four before this is called).
 */
export function planStrategy(strategy: StrategyName, o: StrategyArgs): StrategyPlan {
  const head = headOf(o);
  const headTrains = trainableHeadLayers(head);
  if (head.kind === 'vgg' && strategy === 'slice') {
    throw new UsageError('--head vgg needs block5_pool features (fc1 expects 7x7x512); use --head gap or flatten with --strategy slice.');
  }
  if (head.kind === 'vgg' && o.inputSize !== 224) {
    throw new UsageError(`--head vgg needs --input-size 224 (fc1 expects 7x7x512 features), got ${o.inputSize}; use --head gap or flatten for other sizes.`);
  }
  switch (strategy) {
    case 'freeze':
      return {
        strategy, cut: 'block5_pool', keep: 'block5_pool', suffix: [], head, init: 'pretrained',
        phases: [{ name: 'head', epochs: o.epochs, optimizer: mainOptimizer(o, DEFAULT_LR.features), trainable: headTrains }],
      };
    case 'slice':
      return {
        strategy, cut: o.sliceAt, keep: o.sliceAt, suffix: [], head, init: 'pretrained',
        phases: [{ name: 'head', epochs: o.epochs, optimizer: mainOptimizer(o, DEFAULT_LR.features), trainable: headTrains }],
      };
    case 'finetune': {
      const cut = VGG16_LAYER_NAMES[vgg16LayerIndex(o.unfreezeFrom) - 1] ?? null;
      if (cut === null) throw new UsageError('--unfreeze-from block1_conv1 unfreezes everything; use --strategy retrain instead.');
      const suffix = layersBetween(cut, 'block5_pool');
      const warmup = o.warmupEpochs ?? Math.floor(o.epochs / 2);
      if (warmup >= o.epochs) {
        throw new UsageError(`--warmup-epochs ${warmup} leaves no fine-tuning epoch out of --epochs ${o.epochs}; use fewer warm-up epochs or more epochs.`);
      }
      const phases: PhaseSpec[] = [
        { name: 'warmup', epochs: warmup, optimizer: mainOptimizer(o, DEFAULT_LR.features), trainable: headTrains },
        {
          name: 'finetune',
          epochs: o.epochs - warmup,
          optimizer: { name: o.finetuneOptimizer, lr: o.finetuneLr, momentum: o.finetuneOptimizer === 'sgd' ? o.momentum : 0 },
          trainable: [...suffix, ...headTrains],
        },
      ];
      return { strategy, cut, keep: 'block5_pool', suffix, head, init: 'pretrained', phases: phases.filter((p) => p.epochs > 0) };
    }
    case 'retrain': {
      const suffix = layersBetween(null, 'block5_pool');
      const lr = o.init === 'scratch' ? DEFAULT_LR.retrainScratch : DEFAULT_LR.retrainPretrained;
      return {
        strategy, cut: null, keep: 'block5_pool', suffix, head, init: o.init,
        phases: [{ name: 'all', epochs: o.epochs, optimizer: mainOptimizer(o, lr), trainable: [...suffix, ...headTrains] }],
      };
    }
  }
}


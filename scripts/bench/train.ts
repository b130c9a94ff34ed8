/**
 * Training throughput on the active tfjs backend (wasm here): head training on cached 7x7x512
 * features, one finetune epoch (block5 + head) over 300 cached block4_pool features, and retrain
 * step time through the whole network. Features are random: speed does not depend on their values.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.ts';
import { createRng } from '../../src/data/random.ts';
import { planStrategy } from '../../src/strategies/plan.ts';
import { TensorSource } from '../../src/training/batch-source.ts';
import { fit } from '../../src/training/fit.ts';
import { buildNetwork } from '../../src/training/network.ts';
import { resolveTrainOptions } from '../../src/training/options.ts';

function randomSource(n: number, shape: number[], seed: number): TensorSource {
  return new TensorSource(tf.randomUniform([n, ...shape], 0, 5, 'float32', seed), Int32Array.from({ length: n }, (_, i) => i % 2));
}

/** Seconds for one `fit` epoch of `plan`'s last phase on `n` random samples. */
async function timeEpoch(strategy: 'freeze' | 'finetune' | 'retrain', n: number, inputSize: number, batchSize: number): Promise<number> {
  const o = resolveTrainOptions({ strategy, inputSize, batchSize, epochs: 2, warmupEpochs: 1 });
  const plan = planStrategy(strategy, o);
  const net = await buildNetwork({ plan, inputSize, classes: 2, random: createRng('bench') });
  const phase = plan.phases.at(-1)!;
  const train = randomSource(n, net.featureShape, 1);
  const val = randomSource(batchSize, net.featureShape, 2);
  const started = performance.now();
  await fit({ trainer: net.trainer, train, val, numClasses: 2, epochs: 1, batchSize, optimizer: phase.optimizer, trainable: new Set(phase.trainable), random: createRng('bench') });
  const seconds = (performance.now() - started) / 1000;
  train.dispose();
  val.dispose();
  net.model.dispose();
  return seconds;
}

export default async function bench(): Promise<unknown> {
  const backend = await initBackend();
  await timeEpoch('freeze', 256, 224, 32); // warm-up: kernels compiled, memory grown
  const headSeconds = await timeEpoch('freeze', 4000, 224, 32);
  const finetuneSeconds = await timeEpoch('finetune', 300, 224, 8);
  const retrainSteps = 2;
  const retrain64 = await timeEpoch('retrain', 8 * retrainSteps, 64, 8);
  return {
    backend: backend.name,
    head: { features: '7x7x512', head: 'gap+dense256+dropout', samples: 4000, batchSize: 32, seconds: headSeconds, samplesPerSecond: 4000 / headSeconds, target: 2000 },
    finetuneEpoch: { features: 'block4_pool 14x14x512', trains: 'block5 + head', images: 300, batchSize: 8, seconds: finetuneSeconds },
    retrainStep: { inputSize: 64, batchSize: 8, secondsPerStep: retrain64 / retrainSteps, note: 'includes one validation batch' },
  };
}

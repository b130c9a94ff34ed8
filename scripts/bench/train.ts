/**
 * Training throughput on the active tfjs backend (wasm here): head training on cached 7x7x512
 * features, one finetune epoch (block5 + head) over 300 cached block4_pool features, and retrain
 * step time through the whole network. Features are random: speed does not depend on their values.
 * Our machines are shared, so every figure comes with the process's CPU time (process.cpuUsage):
 * wall time alone says more about the other tenants than about the code.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.ts';
import { createRng } from '../../src/data/random.ts';
import { planStrategy } from '../../src/strategies/plan.ts';
import { ArraySource } from '../../src/training/batch-source.ts';
import { fit } from '../../src/training/fit.ts';
import { buildNetwork, disposeNetwork } from '../../src/strategies/network.ts';
import { resolveTrainOptions } from '../../src/training/options.ts';

function randomSource(n: number, shape: number[], seed: number): ArraySource {
  const rng = createRng(`bench:${seed}`);
  const values = Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => rng() * 5);
  return new ArraySource(values, shape, Int32Array.from({ length: n }, (_, i) => i % 2));
}

export interface Timing {
  wallSeconds: number;
  cpuSeconds: number;
}

/** Wall and CPU seconds of one `fit` epoch (plus one validation batch) of the strategy's last phase on `n` random samples. */
export async function timeEpoch(strategy: 'freeze' | 'finetune' | 'retrain', n: number, inputSize: number, batchSize: number): Promise<Timing> {
  const o = resolveTrainOptions({ strategy, inputSize, batchSize, epochs: 2, warmupEpochs: 1 });
  const plan = planStrategy(strategy, o);
  const net = await buildNetwork({ plan, inputSize, classes: 2, random: createRng('bench') });
  const phase = plan.phases.at(-1)!;
  const train = randomSource(n, net.featureShape, 1);
  const val = randomSource(batchSize, net.featureShape, 2);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fit({ trainer: net.trainer, train, val, numClasses: 2, epochs: 1, batchSize, optimizer: phase.optimizer, trainable: new Set(phase.trainable), random: createRng('bench') });
  const wallSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  disposeNetwork(net);
  return { wallSeconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

const round = (x: number, digits = 3): number => Number(x.toPrecision(digits));

export default async function bench(): Promise<unknown> {
  const backend = await initBackend();
  const loadAverageAtStart = round(loadavg()[0]!);
  await timeEpoch('freeze', 256, 224, 32); // warm-up: kernels compiled, memory grown
  const head = await timeEpoch('freeze', 4000, 224, 32);
  const finetune = await timeEpoch('finetune', 300, 224, 8);
  const retrainSteps = 2;
  const retrain = await timeEpoch('retrain', 8 * retrainSteps, 64, 8);
  return {
    backend: backend.name,
    cores: 2,
    loadAverageAtStart,
    loadAverageAtEnd: round(loadavg()[0]!),
    caveat: 'shared machine: wall figures drop when other work competes for the 2 cores; cpuSeconds is this process alone',
    head: {
      features: '7x7x512', head: 'gap+dense256+dropout', samples: 4000, batchSize: 32,
      wallSeconds: round(head.wallSeconds), cpuSeconds: round(head.cpuSeconds),
      samplesPerSecond: Math.round(4000 / head.wallSeconds), cpuMicrosecondsPerSample: round((head.cpuSeconds / 4000) * 1e6),
      target: '>= 2000 samples/s',
    },
    finetuneEpoch: {
      features: 'block4_pool 14x14x512', trains: 'block5 + head', images: 300, batchSize: 8,
      wallSeconds: round(finetune.wallSeconds), cpuSeconds: round(finetune.cpuSeconds),
    },
    retrainStep: {
      inputSize: 64, batchSize: 8, note: 'includes one validation batch',
      wallSecondsPerStep: round(retrain.wallSeconds / retrainSteps), cpuSecondsPerStep: round(retrain.cpuSeconds / retrainSteps),
    },
  };
}

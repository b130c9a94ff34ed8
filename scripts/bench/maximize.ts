/**
 * Activation maximisation on wasm: 16 filters of block1_conv2 at 64x64, 200 steps (target: under a
 * minute on our 2-core machine). One batch of 16 images (one per filter) per forward/backward.
 * Weights are Keras-initialised (init-weights, seed 0): the cost does not depend on their values.
 * Only VGG16 up to block1_conv2 is built.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.ts';
import { maximizeFilters } from '../../src/interpret/maximize.ts';
import { vgg16InitialWeights } from '../../src/models/init-weights.ts';
import { vgg16Prefix } from '../../src/models/vgg16.ts';

const LAYER = 'block1_conv2';
const FILTERS = Array.from({ length: 16 }, (_, i) => i);
const SIZE = 64;
const STEPS = 200;

export default async function maximize(): Promise<Record<string, unknown>> {
  const backend = await initBackend('wasm');
  const model = await vgg16Prefix(LAYER, { inputShape: [SIZE, SIZE, 3] });
  const init = vgg16InitialWeights({ includeTop: false, seed: 0 });
  for (const { name, weights } of init) {
    if (!model.layers.some((l) => l.name === name) || weights.length === 0) continue;
    const values = weights.map((w) => tf.tensor(w.data, w.shape));
    model.getLayer(name).setWeights(values);
    values.forEach((v) => v.dispose());
  }
  const stepMs: number[] = [];
  let last = performance.now();
  const start = last;
  const load = loadavg()[0];
  const cpuStart = process.cpuUsage();
  const result = await maximizeFilters(model, {
    layer: LAYER,
    filters: FILTERS,
    steps: STEPS,
    size: SIZE,
    onStep: () => {
      const now = performance.now();
      stepMs.push(now - last);
      last = now;
    },
  });
  const totalS = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  model.dispose();
  const sorted = [...stepMs].sort((a, b) => a - b);
  const first = result.history[0]!;
  const final = result.history.at(-1)!;
  return {
    backend: backend.name,
    layer: LAYER,
    filters: FILTERS.length,
    size: SIZE,
    steps: STEPS,
    totalSeconds: Math.round(totalS * 10) / 10,
    // wasm runs on one thread: CPU seconds are what the run takes on an idle machine (the wall clock
    // grows with other processes sharing the 2 cores).
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    firstStepMs: Math.round(stepMs[0]!),
    medianStepMs: Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10,
    meanActivationStart: first.reduce((a, b) => a + b, 0) / first.length,
    meanActivationEnd: final.reduce((a, b) => a + b, 0) / final.length,
    loadAverageAtStart: load,
    targetSeconds: 60,
  };
}

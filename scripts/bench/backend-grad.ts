/**
 * Conv gradients on wasm at a VGG16 block5 shape (batch 2, 14x14x512, 3x3x512x512): the forward
 * conv against our Conv2DBackpropFilter / Conv2DBackpropInput and the stock Conv2DBackpropInput.
 * Training cost through conv layers is forward + both gradients, so these ratios set it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.ts';
import type { WasmBackend } from '../../src/backend/wasm-kernel-calls.ts';

const BATCH = 2;
const SIDE = 14;
const CHANNELS = 512;
const REPEATS = 5;

function medianMs(backend: WasmBackend, kernel: KernelConfig, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): number {
  const once = (): number => {
    const start = performance.now();
    const out = kernel.kernelFunc({ inputs, attrs, backend }) as TensorInfo;
    const ms = performance.now() - start;
    backend.disposeData(out.dataId);
    return ms;
  };
  once(); // warm-up: xnnpack packs weights and sets up operators on first use
  const times = Array.from({ length: REPEATS }, once).sort((a, b) => a - b);
  return Math.round(times[Math.floor(REPEATS / 2)]! * 10) / 10;
}

export default async function backendGrad(): Promise<Record<string, unknown>> {
  // Take the stock kernel before initBackend replaces it with ours.
  await tf.setBackend('wasm');
  const stockInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm')!;
  await initBackend('wasm');
  const backend = tf.backend() as WasmBackend;
  const kernel = (name: string): KernelConfig => tf.getKernel(name, 'wasm')!;
  const x = tf.randomNormal([BATCH, SIDE, SIDE, CHANNELS], 0, 1, 'float32', 1);
  const filter = tf.randomNormal([3, 3, CHANNELS, CHANNELS], 0, 0.02, 'float32', 2);
  const dy = tf.randomNormal([BATCH, SIDE, SIDE, CHANNELS], 0, 1, 'float32', 3);
  const conv = { strides: 1, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined } as unknown as NamedAttrMap;
  const msPerOp = {
    forwardConv2D: medianMs(backend, kernel(tf.Conv2D), { x, filter }, { ...conv, dilations: 1 }),
    ourConv2DBackpropFilter: medianMs(backend, kernel(tf.Conv2DBackpropFilter), { x, dy }, { ...conv, filterShape: filter.shape }),
    ourConv2DBackpropInput: medianMs(backend, kernel(tf.Conv2DBackpropInput), { dy, filter }, { ...conv, inputShape: x.shape }),
    stockConv2DBackpropInput: medianMs(backend, stockInput, { dy, filter }, { ...conv, inputShape: x.shape }),
  };
  tf.dispose([x, filter, dy]);
  const gmacs = (BATCH * SIDE * SIDE * CHANNELS * CHANNELS * 9) / 1e9;
  return {
    shape: { x: [BATCH, SIDE, SIDE, CHANNELS], filter: [3, 3, CHANNELS, CHANNELS], stride: 1, pad: 'same' },
    gmacsPerOp: Math.round(gmacs * 1000) / 1000,
    repeats: REPEATS,
    msPerOp,
    inputGradSpeedupVsStock: Math.round((msPerOp.stockConv2DBackpropInput / msPerOp.ourConv2DBackpropInput) * 10) / 10,
  };
}

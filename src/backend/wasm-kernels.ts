/**
 * The conv-gradient kernels we add to tfjs-backend-wasm so training works through conv layers, and
 * matmul wrappers that keep transposed products (every Dense gradient) on the fast path.
 * Registered after the wasm backend is initialised: the stock Conv2DBackpropInput's setup function
 * (which binds its wasm entry point) has run by then, and our fallback keeps calling into it.
 */
import * as tf from '@tensorflow/tfjs';
import { makeUntransposedMatMulConfig } from './batch-matmul.ts';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { makeConv2dBackpropInputConfig } from './conv2d-backprop-input.ts';

/** Names of the wasm kernels transferkit replaces or adds. */
export const WASM_CUSTOM_KERNELS = [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.BatchMatMul, tf._FusedMatMul] as const;

let registered = false;

/** Registers our wasm gradient kernels once per process. */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  const stockInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (stockInput === undefined) throw new Error('tfjs-backend-wasm has no Conv2DBackpropInput kernel to fall back on');
  tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
  tf.registerKernel(makeConv2dBackpropInputConfig(stockInput));
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') === undefined) tf.registerKernel(conv2dBackpropFilterConfig);
  for (const name of [tf.BatchMatMul, tf._FusedMatMul]) {
    const stock = tf.getKernel(name, 'wasm');
    if (stock === undefined) throw new Error(`tfjs-backend-wasm has no ${name} kernel to wrap`);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(makeUntransposedMatMulConfig(stock));
  }
  registered = true;
}

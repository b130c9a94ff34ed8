/**
 * The conv-gradient kernels we add to tfjs-backend-wasm so training works through conv layers.
 * Registered after the wasm backend is initialised: the stock Conv2DBackpropInput's setup function
 * (which binds its wasm entry point) has run by then, and our fallback keeps calling into it.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { makeConv2dBackpropInputConfig } from './conv2d-backprop-input.ts';

/** Names of the wasm kernels transferkit replaces or adds. */
export const WASM_CUSTOM_KERNELS = [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput] as const;

let registered = false;

/** Registers our wasm gradient kernels once per process. */
export function registerWasmGradientKernels(): void {
  if (registered) return;
  const stockInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (stockInput === undefined) throw new Error('tfjs-backend-wasm has no Conv2DBackpropInput kernel to fall back on');
  tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
  tf.registerKernel(makeConv2dBackpropInputConfig(stockInput));
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') === undefined) tf.registerKernel(conv2dBackpropFilterConfig);
  registered = true;
}

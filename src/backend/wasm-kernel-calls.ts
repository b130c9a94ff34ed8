/**
 * Calling wasm kernels from inside our own wasm kernels. Kernel functions work on TensorInfos that
 * the engine does not track, so every intermediate we create must be released with
 * `backend.disposeData` — and kernel inputs must never be, since the engine (and the gradient tape,
 * which needs x and the filter for both conv gradients) still owns them.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataId, KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's BackendWasm our kernels use. */
export interface WasmBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/** Runs the wasm backend's registered kernel `name` directly (no engine bookkeeping, no tape). */
export function callWasmKernel(
  backend: WasmBackend,
  name: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`tfjs-backend-wasm has no ${name} kernel`);
  return config.kernelFunc({ inputs, attrs, backend }) as TensorInfo;
}

/**
 * Runs `body` with a `temp` function that marks TensorInfos as intermediates; all of them are
 * released when `body` returns or throws. The result must not be marked.
 */
export function withTemporaries<T>(backend: WasmBackend, body: (temp: (t: TensorInfo) => TensorInfo) => T): T {
  const made: TensorInfo[] = [];
  try {
    return body((t) => {
      made.push(t);
      return t;
    });
  } finally {
    for (const t of made) backend.disposeData(t.dataId);
  }
}

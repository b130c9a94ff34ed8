/**
 * Transposed matrix products for the wasm backend. Stock wasm runs `BatchMatMul` / `_FusedMatMul`
 * with `transposeA` or `transposeB` ~10x slower than without (a 32x512 by 32x256 product: 13 ms vs
 * 1.2 ms), and every Dense gradient is such a product. Transposing the operand first (a memory pass)
 * and calling the stock kernel untransposed gives the same numbers at the fast path's speed.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { callWasmKernel, withTemporaries, type WasmBackend } from './wasm-kernel-calls.ts';

interface Args {
  inputs: NamedTensorInfoMap;
  backend: WasmBackend;
  attrs: NamedAttrMap & { transposeA: boolean; transposeB: boolean };
}

/** The permutation that swaps the last two axes. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** Wraps a stock matmul kernel (inputs `a`, `b`) so it only ever runs untransposed. */
export function makeUntransposedMatMulConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: Args): TensorInfo => {
    const { inputs, backend, attrs } = args;
    if (!attrs.transposeA && !attrs.transposeB) return stock.kernelFunc(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    return withTemporaries(backend, (temp) => {
      const transposed = (x: TensorInfo): TensorInfo => temp(callWasmKernel(backend, 'Transpose', { x }, { perm: swapLastTwo(x.shape.length) }));
      const a = inputs.a as TensorInfo;
      const b = inputs.b as TensorInfo;
      return stock.kernelFunc({
        inputs: { ...inputs, a: attrs.transposeA ? transposed(a) : a, b: attrs.transposeB ? transposed(b) : b },
        attrs: { ...attrs, transposeA: false, transposeB: false },
        backend,
      } as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    });
  };
  return { ...stock, kernelFunc: kernelFunc as unknown as KernelFunc };
}

/**
 * `Conv2DBackpropFilter` for the wasm backend, which ships none (without it no gradient reaches a
 * conv kernel). dW[kh, kw] = Σ over batch and output positions of x(tap-shifted)ᵀ · dy, so after one
 * pad + transpose of x to [inC, batch, H, W] each kernel tap is a (strided) slice and one matMul
 * [inC, N] x [N, outC] — all done by wasm's own SIMD kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { callWasmKernel, withTemporaries, type WasmBackend } from './wasm-kernel-calls.ts';

function conv2dBackpropFilter(args: { inputs: NamedTensorInfoMap; backend: WasmBackend; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  // The wasm forward Conv2D refuses NCHW too, so no model that runs here can need it.
  if (info.dataFormat !== 'channelsLast') throw new Error(`wasm Conv2DBackpropFilter supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  const out = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  if (outHeight * outWidth * batchSize === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  // Rows/cols the last window reaches; with 'ceil' rounding that can exceed the stated padding.
  const needH = filterHeight + (outHeight - 1) * strideHeight;
  const needW = filterWidth + (outWidth - 1) * strideWidth;
  const padBottom = Math.max(padInfo.bottom, needH - padInfo.top - inHeight);
  const padRight = Math.max(padInfo.right, needW - padInfo.left - inWidth);
  const n = batchSize * outHeight * outWidth;
  const tapSize = inChannels * outChannels;
  withTemporaries(backend, (temp) => {
    const isPadded = padInfo.top + padBottom + padInfo.left + padRight > 0;
    const xPadded = isPadded
      ? temp(callWasmKernel(backend, 'PadV2', { x }, {
          paddings: [[0, 0], [padInfo.top, padBottom], [padInfo.left, padRight], [0, 0]], constantValue: 0,
        }))
      : x;
    const xT = temp(callWasmKernel(backend, 'Transpose', { x: xPadded }, { perm: [3, 0, 1, 2] }));
    const dy2d = temp(callWasmKernel(backend, 'Reshape', { x: dy }, { shape: [n, outChannels] }));
    const isStrided = strideHeight > 1 || strideWidth > 1;
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const begin = [0, 0, kh, kw];
        const size = [inChannels, batchSize, outHeight, outWidth];
        const tap = temp(isStrided
          ? callWasmKernel(backend, 'StridedSlice', { x: xT }, {
              begin, end: [inChannels, batchSize, kh + (outHeight - 1) * strideHeight + 1, kw + (outWidth - 1) * strideWidth + 1],
              strides: [1, 1, strideHeight, strideWidth], beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
            })
          : callWasmKernel(backend, 'Slice', { x: xT }, { begin, size }));
        const tap2d = temp(callWasmKernel(backend, 'Reshape', { x: tap }, { shape: [inChannels, n] }));
        const grad = temp(callWasmKernel(backend, 'BatchMatMul', { a: tap2d, b: dy2d }, { transposeA: false, transposeB: false }));
        // The filter layout [kh, kw, in, out] makes each tap one contiguous block. Views are taken
        // afresh: any kernel above may grow the wasm heap, which detaches earlier views.
        backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(grad), (kh * filterWidth + kw) * tapSize);
      }
    }
  });
  return out;
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as KernelFunc,
};

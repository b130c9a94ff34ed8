/**
 * A fast `Conv2DBackpropInput` for the wasm backend. For stride 1 the input gradient is a forward
 * convolution of dy with the spatially flipped, in/out-transposed kernel, padded by
 * (kernel - 1 - forward pad) on each side; wasm's forward conv is ~10x faster than its stock
 * backprop kernel. Other cases (strides > 1, NCHW, pads larger than the kernel) use the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { callWasmKernel, withTemporaries, type WasmBackend } from './wasm-kernel-calls.ts';

interface Args {
  inputs: NamedTensorInfoMap;
  backend: WasmBackend;
  attrs: Conv2DBackpropInputAttrs;
}

/** Builds our kernel config around the stock one, which handles the cases ours does not. */
export function makeConv2dBackpropInputConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: Args): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const dy = inputs.dy as TensorInfo;
    const filter = inputs.filter as TensorInfo;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const { filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
    const flippedPad = [
      filterHeight - 1 - padInfo.top, filterHeight - 1 - padInfo.bottom,
      filterWidth - 1 - padInfo.left, filterWidth - 1 - padInfo.right,
    ];
    const applies = strideHeight === 1 && strideWidth === 1 && info.dataFormat === 'channelsLast' && flippedPad.every((p) => p >= 0);
    if (!applies) return stock.kernelFunc(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
    const [top, bottom, left, right] = flippedPad as [number, number, number, number];
    return withTemporaries(backend, (temp) => {
      const swapped = temp(callWasmKernel(backend, 'Transpose', { x: filter }, { perm: [0, 1, 3, 2] }));
      const flipped = temp(backend.makeOutput(swapped.shape, 'float32'));
      // Flipping both spatial axes reverses the order of the contiguous [out, in] tap blocks; block
      // copies are ~50x faster than wasm's Reverse kernel. Views are taken after every allocation.
      const source = backend.typedArrayFromHeap(swapped);
      const target = backend.typedArrayFromHeap(flipped);
      const taps = filterHeight * filterWidth;
      const block = source.length / taps;
      for (let tap = 0; tap < taps; tap++) target.set(source.subarray((taps - 1 - tap) * block, (taps - tap) * block), tap * block);
      return callWasmKernel(backend, 'Conv2D', { x: dy, filter: flipped }, {
        strides: 1, dilations: 1, dataFormat: 'NHWC', dimRoundingMode: undefined,
        pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      } as unknown as tf.NamedAttrMap);
    });
  };
  return { ...stock, kernelFunc: kernelFunc as unknown as KernelFunc };
}

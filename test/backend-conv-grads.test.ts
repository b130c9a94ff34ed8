/**
 * Our wasm conv-gradient kernels against the cpu backend's (the oracle): both gradients of
 * sum(conv2d(x, w) * r), so dy = r, over shapes, kernel sizes, strides, paddings and batch sizes.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case {
  x: [number, number, number, number];
  k: number;
  outC: number;
  stride: number;
  pad: Pad;
}

const CASES: Case[] = [];
for (const batch of [1, 3]) {
  for (const k of [1, 3, 5]) {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        CASES.push({ x: [batch, 9 + k, 8 + stride, 2 + k], k, outC: 4 + batch, stride, pad });
      }
    }
  }
}
CASES.push(
  { x: [2, 7, 6, 3], k: 3, outC: 2, stride: 1, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
  { x: [2, 7, 6, 3], k: 3, outC: 2, stride: 2, pad: [[0, 0], [0, 1], [2, 2], [0, 0]] },
  // Pads beyond kernel - 1: our input-gradient kernel does not apply, the stock one must take over.
  { x: [1, 5, 5, 2], k: 3, outC: 3, stride: 1, pad: [[0, 0], [3, 1], [0, 4], [0, 0]] },
  { x: [1, 9, 8, 3], k: 3, outC: 2, stride: 2, pad: 1 },
  { x: [2, 14, 14, 32], k: 3, outC: 16, stride: 1, pad: 'same' },
);

/** Deterministic values in [-1, 1) (mulberry32), so a failure reproduces. */
function randomValues(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  });
}

interface Grads {
  dx: Float32Array;
  dw: Float32Array;
}

function convGrads(c: Case, seed: number): Grads {
  const wShape = [c.k, c.k, c.x[3], c.outC] as [number, number, number, number];
  const x = tf.tensor4d(randomValues(c.x.reduce((p, q) => p * q), seed), c.x);
  const w = tf.tensor4d(randomValues(wShape.reduce((p, q) => p * q), seed + 1), wShape);
  const yShape = tf.tidy(() => tf.conv2d(x, w, c.stride, c.pad).shape);
  const r = tf.tensor(randomValues(yShape.reduce((p, q) => p * q), seed + 2), yShape);
  const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad).mul(r).sum();
  const [dx, dw] = tf.grads(f)([x, w]) as [tf.Tensor, tf.Tensor];
  const out = { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  tf.dispose([x, w, r, dx, dw]);
  return out;
}

/** Max abs difference relative to the reference's max abs value. */
function relativeError(actual: Float32Array, reference: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] ?? NaN) - (reference[i] ?? NaN)));
    scale = Math.max(scale, Math.abs(reference[i] ?? 0));
  }
  return actual.length === reference.length ? diff / scale : Infinity;
}

test.serial('wasm registers our conv-gradient and matmul kernels', async (t) => {
  const info = await initBackend('wasm');
  t.deepEqual(info.customKernels.sort(), ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', '_FusedMatMul']);
  t.truthy(tf.getKernel('Conv2DBackpropFilter', 'wasm'));
});

for (const [i, c] of CASES.entries()) {
  const label = `x ${c.x.join('x')}, ${c.k}x${c.k}x${c.x[3]}x${c.outC}, stride ${c.stride}, pad ${JSON.stringify(c.pad)}`;
  test.serial(`wasm conv gradients match cpu: ${label}`, async (t) => {
    await tf.setBackend('cpu');
    const reference = convGrads(c, 100 + i);
    await initBackend('wasm');
    const backend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = backend.numDataIds();
    const ours = convGrads(c, 100 + i);
    t.true(relativeError(ours.dx, reference.dx) <= 1e-4, `dx relative error ${relativeError(ours.dx, reference.dx)}`);
    t.true(relativeError(ours.dw, reference.dw) <= 1e-4, `dw relative error ${relativeError(ours.dw, reference.dw)}`);
    t.is(tf.memory().numTensors, tensorsBefore);
    t.is(backend.numDataIds(), buffersBefore, 'our kernels free every intermediate wasm buffer');
  });
}

/** Counts calls of the wasm Conv2D kernel while `body` runs (our stride-1 input gradient is one). */
async function countWasmConv2dCalls(body: () => void): Promise<number> {
  const stock = tf.getKernel('Conv2D', 'wasm');
  if (stock === undefined) throw new Error('wasm Conv2D not registered');
  let calls = 0;
  tf.unregisterKernel('Conv2D', 'wasm');
  tf.registerKernel({ ...stock, setupFunc: undefined, kernelFunc: (args) => (calls++, stock.kernelFunc(args)) });
  try {
    body();
  } finally {
    tf.unregisterKernel('Conv2D', 'wasm');
    tf.registerKernel(stock);
  }
  return calls;
}

test.serial('stride-1 input gradients run as a forward conv; strided ones use the stock kernel', async (t) => {
  await initBackend('wasm');
  const x = tf.ones([1, 6, 6, 2]) as tf.Tensor4D;
  const w = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
  const inputGrad = (stride: number) => () => tf.dispose(tf.grad((a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, w, stride, 'same').sum())(x));
  // One call is the forward pass tf.grad records; a second is our input gradient.
  t.is(await countWasmConv2dCalls(inputGrad(1)), 2);
  t.is(await countWasmConv2dCalls(inputGrad(2)), 1);
  tf.dispose([x, w]);
});

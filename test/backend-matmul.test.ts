/**
 * Our wasm matmul wrappers (transposed operands transposed first, then the stock untransposed
 * kernel) against the cpu backend, for every transpose combination, batched shapes with
 * broadcasting, the fused Dense form with bias and activation, and a Dense layer's gradients.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.ts';

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 31 - 1;
  });
}

const tensor = (shape: number[], seed: number): tf.Tensor => tf.tensor(values(shape.reduce((p, q) => p * q, 1), seed), shape);

async function onBoth(f: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[]; leaked: number }> {
  await tf.setBackend('cpu');
  const cpu = tf.tidy(f).map((t) => t.dataSync() as Float32Array);
  await initBackend('wasm');
  const before = tf.memory().numTensors;
  const outs = tf.tidy(f);
  const wasm = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return { cpu, wasm, leaked: tf.memory().numTensors - before };
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

const CASES: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [];
for (const ta of [false, true]) {
  for (const tb of [false, true]) {
    CASES.push({ a: ta ? [7, 5] : [5, 7], b: tb ? [3, 7] : [7, 3], ta, tb });
    CASES.push({ a: ta ? [2, 7, 5] : [2, 5, 7], b: tb ? [2, 3, 7] : [2, 7, 3], ta, tb });
    CASES.push({ a: ta ? [1, 7, 5] : [1, 5, 7], b: tb ? [4, 3, 7] : [4, 7, 3], ta, tb });
  }
}

for (const [i, c] of CASES.entries()) {
  test.serial(`wasm matMul matches cpu: a ${c.a.join('x')}${c.ta ? 'ᵀ' : ''} b ${c.b.join('x')}${c.tb ? 'ᵀ' : ''}`, async (t) => {
    const { cpu, wasm, leaked } = await onBoth(() => [tf.matMul(tensor(c.a, i), tensor(c.b, 100 + i), c.ta, c.tb)]);
    t.true(maxRelativeError(wasm[0]!, cpu[0]!) < 1e-5, `relative error ${maxRelativeError(wasm[0]!, cpu[0]!)}`);
    t.is(leaked, 0);
  });
}

test.serial('wasm fused matMul with transposes, bias and relu matches cpu', async (t) => {
  const { cpu, wasm, leaked } = await onBoth(() => [
    tf.fused.matMul({ a: tensor([6, 4], 1), b: tensor([5, 6], 2), transposeA: true, transposeB: true, bias: tensor([5], 3), activation: 'relu' }),
  ]);
  t.true(maxRelativeError(wasm[0]!, cpu[0]!) < 1e-5);
  t.is(leaked, 0);
});

test.serial('Dense gradients on wasm (transposed products) match cpu', async (t) => {
  const { cpu, wasm, leaked } = await onBoth(() => {
    const x = tensor([32, 64], 7);
    const w = tensor([64, 16], 8);
    const b = tensor([16], 9);
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.sum(tf.square(tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' })));
    return tf.grads(f)([x, w, b]);
  });
  for (const [k, name] of ['dx', 'dw', 'db'].entries()) t.true(maxRelativeError(wasm[k]!, cpu[k]!) < 1e-5, name);
  t.is(leaked, 0);
});

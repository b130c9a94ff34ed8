// The int8 QDQ prefix and multi-cut engines on generated images (no ../shared): the optimised graph
// really runs QLinearConv, int8 agrees with fp32 with 8-bit and with the 7-bit (non-VNNI) weights,
// and one multi-output engine gives each cut what a single-cut engine gives.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { decodeBatch, toInput } from '../src/cache/batch-runner.ts';
import { int8WeightBits } from '../src/models/engines/calibrate.ts';
import { createEngine, type Int8Ranges } from '../src/models/engines/index.ts';
import { prefixGraph, prefixLayers, quantizeKernel } from '../src/models/engines/prefix-graph.ts';
import { vgg16Prefix } from '../src/models/vgg16.ts';
import { readKerasFile } from '../src/keras/index.ts';
import { calibrateFixture, int8Fixture, worstInt8Agreement, type Int8Fixture } from './helpers/int8-fixture.ts';

const SIZE = 48;
const { onnx } = onnxProto;

async function inputs(f: Int8Fixture, paths: readonly string[]): Promise<Float32Array> {
  const ctx = { inputSize: SIZE, resize: 'squash' as const, weights: f.weights, cut: '', engine: 'onnx' as const, cacheDir: f.cache, dtype: 'float32' as const };
  const decoded = await decodeBatch(paths.map((path, i) => ({ key: String(i), path, imageHash: String(i), copy: 0 })), ctx);
  return toInput(decoded.pixels, SIZE);
}

test.serial('the optimised int8 graph runs QLinearConv for every conv and no float Conv', async (t) => {
  const f = await int8Fixture(t);
  const ranges = await calibrateFixture(f, SIZE, 8);
  const optimized = join(f.dir, 'optimized.onnx');
  const engine = await createEngine({ weights: f.weights, inputSize: SIZE, engine: 'onnx', int8: ranges, optimizedModelFilePath: optimized });
  await engine.dispose();
  t.is(engine.precision, 'int8');
  const model = onnx.ModelProto.decode(await readFile(optimized));
  const ops = model.graph!.node!.map((n) => n.opType!);
  t.is(ops.filter((op) => op === 'QLinearConv').length, 13, ops.join(' '));
  t.false(ops.includes('Conv'), 'a convolution stayed in float');
});

test.serial('int8 features agree with fp32 (cosine >= 0.999) with 8-bit weights and with forced 7-bit (non-VNNI) weights', async (t) => {
  const f = await int8Fixture(t);
  for (const bits of [8, 7] as const) {
    const r = await worstInt8Agreement(f, await calibrateFixture(f, SIZE, bits), SIZE);
    t.true(r.cosine >= 0.999, `${bits}-bit weights: min cosine ${r.cosine}`);
    t.true(r.relativeError <= 0.05, `${bits}-bit weights: max relative error ${r.relativeError}`);
  }
});

test.serial('7-bit weights stay within +-63, so AVX2 u8 x s8 pair sums (2 x 255 x 63) cannot saturate int16', async (t) => {
  const f = await int8Fixture(t, 1);
  const model = await vgg16Prefix('block2_pool', { inputShape: [SIZE, SIZE, 3], weights: await readKerasFile(f.weights) });
  const ranges: Int8Ranges = { input: [-124, 152], activations: { block1_conv1: 50, block1_conv2: 50, block2_conv1: 50, block2_conv2: 50 }, weightBits: 7 };
  const graph = onnx.ModelProto.decode(prefixGraph(prefixLayers(model), { inputSize: SIZE, outputs: ['block2_pool'], int8: ranges }));
  model.dispose();
  const kernels = graph.graph!.initializer!.filter((i) => i.name!.endsWith('/kernel_q'));
  t.is(kernels.length, 4);
  for (const k of kernels) {
    const q = new Int8Array(k.rawData!.buffer, k.rawData!.byteOffset, k.rawData!.byteLength);
    t.true(q.every((v) => v >= -63 && v <= 63), k.name!);
    t.true(q.some((v) => Math.abs(v) === 63), `${k.name!} uses the whole 7-bit range`);
  }
  t.deepEqual([...quantizeKernel(Float32Array.of(0.5, -1, 0, 0), 2, 8).q], [64, -127, 0, 0]);
});

test('weight bits follow the CPU: 8 with VNNI, 7 on AVX2-only x86', async (t) => {
  t.is(await int8WeightBits('flags\t\t: fpu sse avx avx2 fma\n'), 7);
  t.is(await int8WeightBits('flags\t\t: avx2 avx512f avx512_vnni\n'), 8);
  t.is(await int8WeightBits('flags\t\t: avx2 avx_vnni\n'), 8);
});

test.serial('one multi-cut engine answers each cut exactly as a single-cut engine does, on onnx and tfjs', async (t) => {
  const f = await int8Fixture(t, 2);
  const x = await inputs(f, f.images);
  for (const engine of ['onnx', 'tfjs'] as const) {
    const multi = await createEngine({ weights: f.weights, cut: 'block5_pool', extraCuts: ['block3_pool', 'block4_pool'], inputSize: SIZE, engine });
    try {
      t.deepEqual(multi.cuts, ['block5_pool', 'block3_pool', 'block4_pool']);
      const outs = await multi.runAll(x, 2);
      for (const [k, cut] of multi.cuts.entries()) {
        const single = await createEngine({ weights: f.weights, cut, inputSize: SIZE, engine });
        const want = await single.run(x, 2);
        await single.dispose();
        t.deepEqual(multi.outputShapes[k], single.outputShape);
        const worst = want.reduce((m, v, i) => Math.max(m, Math.abs(v - outs[k]![i]!) / (Math.abs(v) + 1)), 0);
        t.true(worst < 1e-4, `${engine} ${cut}: max relative difference ${worst}`);
      }
    } finally {
      await multi.dispose();
    }
  }
});

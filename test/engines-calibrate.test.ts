// The calibration pass's range statistics on activations whose answers are known exactly: the
// percentile's upper end is the histogram bin edge just above the true percentile (bins are 1/16
// octave wide), minmax is the exact maximum, zeros and -0 count below every positive value, and the
// input range is the images' own.
import test from 'ava';
import { calibrationPass, CALIBRATION_CUTS, CALIBRATION_PERCENTILE } from '../src/models/engines/calibrate.ts';
import type { PrefixEngine } from '../src/models/engines/types.ts';

/** A stand-in fp32 engine answering every calibration cut with `activation(cut)`. */
function fakeEngine(activation: (cut: string) => Float32Array): PrefixEngine {
  const outs = CALIBRATION_CUTS.map(activation);
  return { cuts: [...CALIBRATION_CUTS], runAll: async () => outs } as unknown as PrefixEngine;
}

/** 1 000 000 values: half zeros (one in four a -0), the rest 1 … 500 000 shuffled, times `scale`. */
function reluLike(scale: number): Float32Array {
  const n = 1_000_000;
  const v = new Float32Array(n);
  for (let i = 0; i < n / 2; i++) v[2 * i + 1] = (i + 1) * scale;
  for (let i = 0; i < n; i += 8) v[i] = -0;
  // A fixed permutation: position must not matter.
  for (let i = n - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return v;
}

const images = [Float32Array.of(-103.9, 0, 151.1), Float32Array.of(-5, 20, 3)];

test('percentile: the bin edge just above the true percentile; minmax: the exact maximum', async (t) => {
  const scale = (cut: string): number => (cut === 'block3_conv2' ? 0.01 : 1);
  const engine = fakeEngine((cut) => reluLike(scale(cut)));
  const percentile = await calibrationPass(engine, images, [], 'percentile');
  const minmax = await calibrationPass(engine, images, [], 'minmax');
  // 99.999 % of 2 x 1e6 values lie at or below the (2e6 x 0.99999 - 1e6)-th positive value.
  const rank = Math.ceil(2_000_000 * (CALIBRATION_PERCENTILE / 100)) - 1_000_000;
  for (const cut of ['block1_conv1', 'block3_conv2']) {
    const exact = (rank / 2) * scale(cut);
    const upper = percentile.ranges.activations[cut]!;
    t.true(upper >= exact && upper <= exact * (1 + 1 / 16), `${cut}: ${upper} vs exact ${exact}`);
    t.is(minmax.ranges.activations[cut], Math.fround(500_000 * scale(cut)));
  }
  t.deepEqual(percentile.ranges.input, [Math.fround(-103.9), Math.fround(151.1)]);
});

test('all-zero activations (a dead layer) give a zero range, not a negative or NaN one', async (t) => {
  const engine = fakeEngine(() => Float32Array.of(0, -0, 0, 0));
  for (const method of ['percentile', 'minmax'] as const) {
    const { ranges } = await calibrationPass(engine, images, [], method);
    t.is(ranges.activations.block5_conv3, 0);
  }
});

test('the held-back images keep their fp32 features at every guard cut', async (t) => {
  const engine = fakeEngine((cut) => Float32Array.of(cut.length));
  const { reference } = await calibrationPass(engine, images, images, 'percentile');
  t.is(reference.length, 2);
  t.deepEqual(reference[0]!.map((f) => f[0]!), [11, 11, 11, 11, 11]);
});

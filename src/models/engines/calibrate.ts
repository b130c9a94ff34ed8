/**
 * Int8 calibration of the VGG16 conv base: activation ranges measured by running the fp32 graph on
 * a sample of the user's images, and the guard that compares int8 with fp32 features before int8
 * features are trusted. Both use one fp32 pass with outputs at every conv and pool.
 */
import { readFile } from 'node:fs/promises';
import { VGG16_BASE, VGG16_LAYER_NAMES, vgg16LayerIndex } from '../vgg16-spec.ts';
import type { Int8Ranges } from './prefix-graph.ts';
import type { PrefixEngine } from './types.ts';

/** MinMax: the largest value seen. Percentile: the value below which `percentile` % of values lie. */
export type CalibrationMethod = 'minmax' | 'percentile';

/** Percentile of post-ReLU activations kept inside the uint8 range (onnxruntime's default too). */
export const CALIBRATION_PERCENTILE = 99.999;

const CONVS = VGG16_BASE.filter((l) => l.kind === 'conv').map((l) => l.name);
/** The cuts the guard compares at: every pool of the conv base. */
export const GUARD_CUTS = VGG16_BASE.filter((l) => l.kind === 'pool').map((l) => l.name);

/** The guard cut that vouches for `cut`: the first pool at or after it (a conv cut shares its block's). */
export function guardCutFor(cut: string): string {
  return VGG16_LAYER_NAMES.slice(Math.max(0, vgg16LayerIndex(cut))).find((n) => GUARD_CUTS.includes(n)) ?? GUARD_CUTS.at(-1)!;
}

/**
 * Histogram bins read straight from a float32's bits: `bits >>> 19` keeps the sign, the exponent
 * and the top 4 mantissa bits, i.e. 16 bins per octave over every float (relative resolution
 * <= 6 %), with bin order = value order among positive floats. One increment per value and no
 * branch on the value (a data-dependent branch on ReLU's ~50 % zeros mispredicts half the time)
 * halved the time of binning with tests (~13.5M activations per 224 px image: 84 -> 40 ms).
 */
const BIN_SHIFT = 19;
/** Bins of non-negative floats (sign bit clear); the rest hold negative floats. */
const POSITIVE_BINS = 1 << (31 - BIN_SHIFT);

/** Running statistics of one activation tensor over the calibration images. */
class RangeCollector {
  /** Bit pattern of the largest value seen (for non-negative floats, bit order is value order). */
  private maxBits = 0;
  private readonly hist = new Uint32Array(2 * POSITIVE_BINS);
  private count = 0;

  add(values: Float32Array): void {
    const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
    const hist = this.hist;
    let maxBits = this.maxBits;
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i]!;
      hist[b >>> BIN_SHIFT]!++;
      // Negative floats have negative int32 bits and never win.
      if (b > maxBits) maxBits = b;
    }
    this.maxBits = maxBits;
    this.count += values.length;
  }

  get max(): number {
    return new Float32Array(Int32Array.of(this.maxBits).buffer)[0]!;
  }

  /** Upper end of the range for `method`: never above the observed maximum. */
  upper(method: CalibrationMethod, percentile: number): number {
    if (method === 'minmax') return this.max;
    // Zeros and negative values (ReLU outputs are >= 0; -0 included) lie below every positive bin.
    let below = this.hist.subarray(POSITIVE_BINS).reduce((a, b) => a + b, 0) + this.hist[0]!;
    for (let bin = 1; bin < POSITIVE_BINS; bin++) {
      below += this.hist[bin]!;
      // The bin's upper edge: the float whose bits start the next bin.
      if (below >= (this.count * percentile) / 100) return Math.min(this.max, new Float32Array(Uint32Array.of((bin + 1) << BIN_SHIFT).buffer)[0]!);
    }
    return this.max;
  }
}

/** What the fp32 reference pass over the calibration and held-back images yields. */
export interface CalibrationPass {
  ranges: Omit<Int8Ranges, 'weightBits'>;
  /** fp32 features of each held-back image at each of GUARD_CUTS. */
  reference: Float32Array[][];
}

/** The cuts a calibration engine must answer: every conv (for ranges) and every pool (for the guard). */
export const CALIBRATION_CUTS: readonly string[] = [...CONVS, ...GUARD_CUTS];

/**
 * Measure ranges on `calibration` images and keep fp32 reference features of `heldBack` images.
 * `engine` must be an fp32 engine whose cuts are CALIBRATION_CUTS; images are preprocessed NHWC.
 */
export async function calibrationPass(engine: PrefixEngine, calibration: readonly Float32Array[], heldBack: readonly Float32Array[], method: CalibrationMethod): Promise<CalibrationPass> {
  const collectors = new Map(CONVS.map((c) => [c, new RangeCollector()]));
  const index = new Map(engine.cuts.map((c, i) => [c, i]));
  let min = Infinity;
  let max = -Infinity;
  for (const image of calibration) {
    for (let i = 0; i < image.length; i++) {
      const v = image[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const outs = await engine.runAll(image, 1);
    for (const [cut, collector] of collectors) collector.add(outs[index.get(cut)!]!);
  }
  const reference: Float32Array[][] = [];
  for (const image of heldBack) {
    const outs = await engine.runAll(image, 1);
    reference.push(GUARD_CUTS.map((c) => outs[index.get(c)!]!));
  }
  const activations = Object.fromEntries([...collectors].map(([c, col]) => [c, col.upper(method, CALIBRATION_PERCENTILE)]));
  return { ranges: { input: [min, max], activations }, reference };
}

/** Agreement of int8 with fp32 features at one cut, worst over the held-back images. */
export interface CutAgreement {
  /** Lowest per-image cosine similarity. */
  minCosine: number;
  /** Highest per-image relative error ||int8 - fp32|| / ||fp32||. */
  maxRelativeError: number;
}

/** Per-image cosine similarity and relative error of `a` (int8) against `b` (fp32). */
export function agreement(a: Float32Array, b: Float32Array): { cosine: number; relativeError: number } {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let err = 0;
  for (let i = 0; i < b.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
    err += (a[i]! - b[i]!) ** 2;
  }
  // Two all-zero vectors agree; one zero and one not do not.
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
  return { cosine, relativeError: nb === 0 ? (na === 0 ? 0 : Infinity) : Math.sqrt(err / nb) };
}

/** Compare an int8 engine (cuts = GUARD_CUTS) with the fp32 reference on the held-back images. */
export async function compareWithReference(int8: PrefixEngine, heldBack: readonly Float32Array[], reference: readonly Float32Array[][]): Promise<Record<string, CutAgreement>> {
  const out: Record<string, CutAgreement> = Object.fromEntries(GUARD_CUTS.map((c) => [c, { minCosine: 1, maxRelativeError: 0 }]));
  for (let i = 0; i < heldBack.length; i++) {
    const outs = await int8.runAll(heldBack[i]!, 1);
    GUARD_CUTS.forEach((cut, k) => {
      const { cosine, relativeError } = agreement(outs[k]!, reference[i]![k]!);
      out[cut] = { minCosine: Math.min(out[cut]!.minCosine, cosine), maxRelativeError: Math.max(out[cut]!.maxRelativeError, relativeError) };
    });
  }
  return out;
}

/**
 * Weight bits this CPU runs int8 convolutions correctly with: 8 with VNNI (x86 `avx512_vnni` or
 * `avx_vnni`: products summed straight into int32) and on ARM (sdot); 7 on x86 without VNNI, whose
 * AVX2 u8 x s8 multiply-add saturates int16 with 8-bit weights.
 */
export async function int8WeightBits(cpuinfo?: string): Promise<7 | 8> {
  if (process.arch !== 'x64' && process.arch !== 'ia32' && cpuinfo === undefined) return 8;
  const text = cpuinfo ?? (await readFile('/proc/cpuinfo', 'utf8').catch(() => ''));
  const flags = new Set((/^flags\s*:(.*)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/));
  return flags.has('avx512_vnni') || flags.has('avx_vnni') ? 8 : 7;
}

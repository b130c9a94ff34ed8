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
 * Histogram bins read straight from a float32's bits: exponent and top 4 mantissa bits, i.e. 16 bins
 * per octave from 2^-24 to 2^24 (relative resolution <= 6 %). Taking the bits instead of a log2 per
 * value made collecting ranges ~10x faster (it is ~13.5M activations per 224 px image).
 */
const MANTISSA_BITS = 4;
const BINS_PER_OCTAVE = 1 << MANTISSA_BITS;
const LOW_EXP = -24;
const BINS = 48 * BINS_PER_OCTAVE;
/** `bits >>> 19` of 2^LOW_EXP: exponent bias 127, 23 - 4 mantissa bits dropped. */
const FIRST_BIN = (127 + LOW_EXP) << MANTISSA_BITS;

/** Running statistics of one activation tensor over the calibration images. */
class RangeCollector {
  max = 0;
  zeros = 0;
  readonly hist = new Float64Array(BINS);

  add(values: Float32Array): void {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const hist = this.hist;
    let max = this.max;
    let zeros = 0;
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i]!;
      // +0 and anything with the sign bit set (ReLU outputs are >= 0; -0 included).
      if (b === 0 || b >= 0x80000000) {
        zeros++;
        continue;
      }
      const v = values[i]!;
      if (v > max) max = v;
      const bin = (b >>> (23 - MANTISSA_BITS)) - FIRST_BIN;
      hist[bin < 0 ? 0 : bin >= BINS ? BINS - 1 : bin]! += 1;
    }
    this.max = max;
    this.zeros += zeros;
  }

  /** Upper end of the range for `method`: never above the observed maximum. */
  upper(method: CalibrationMethod, percentile: number): number {
    if (method === 'minmax') return this.max;
    const total = this.zeros + this.hist.reduce((a, b) => a + b, 0);
    let below = this.zeros;
    for (let b = 0; b < BINS; b++) {
      below += this.hist[b]!;
      if (below >= (total * percentile) / 100) {
        const octave = Math.floor(b / BINS_PER_OCTAVE);
        return Math.min(this.max, 2 ** (LOW_EXP + octave) * (1 + ((b % BINS_PER_OCTAVE) + 1) / BINS_PER_OCTAVE));
      }
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

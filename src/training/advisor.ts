import * as tf from '@tensorflow/tfjs';
import type { Dataset, DatasetItem } from '../data/dataset.ts';
import { withoutUnreadable, type UnreadableImage } from '../data/unreadable.ts';
import { createRng } from '../data/random.ts';
import { InterruptedError } from '../errors.ts';
import { readRandomInitMarker } from '../keras/index.ts';
import { VGG16_LAYER_NAMES, vgg16LayerIndex } from '../models/vgg16-spec.ts';
import { defaultOf, seedSchema } from '../options/pieces.ts';
import type { StrategyName } from '../strategies/types.ts';
import { ArraySource } from './batch-source.ts';
import { cachedFeatures, decidePrecision, extractOrStop, splitItems, type FeatureOptions } from './features.ts';
import { fit, lossAndAccuracy } from './fit.ts';
import { trainOptionsSchema } from './options.ts';

/** The advisor's thresholds, printed with every recommendation. */
export const ADVISOR_THRESHOLDS = {
  /** Fewer training images per class than this (median over classes) is "small". */
  smallPerClass: 1000,
  /** Deep (block5_pool) probe validation accuracy at or above this is "separates the classes well". */
  deepAccuracy: 0.8,
  /** ...and the deep probe may trail the early (block3_pool) one by at most this much. */
  maxDeepDeficit: 0.05,
  /** Images per class and split fed to the probes (keeps the advisor quick on big folders). */
  probeImagesPerClass: 100,
  /**
   * The probes first measure on this many images per class and split, and on `probeImagesPerClass`
   * only when that leaves the answer in doubt (see `inDoubt`). A small folder where the answer is
   * clear then runs its other images to the strategy's cut only: the main job of issue 11 slices at
   * block3_pool, and blocks 4-5 are 30-40 % of the int8 prefix's time.
   */
  quickProbeImagesPerClass: 20,
  /** z of the two-sided 95 % interval around a probe's validation accuracy (Wilson score). */
  confidenceZ: 1.96,
  /** Probe training: epochs of a softmax layer on standardised, globally average-pooled features. */
  probeEpochs: 30,
} as const;

/** Cut points the probes read features at. */
export const PROBE_CUTS = { deep: 'block5_pool', early: 'block3_pool' } as const;

/** Where an advised slice cuts: where the early probe measured the data (its features are cached). */
export const ADVISED_SLICE_AT = PROBE_CUTS.early;

/** The size x similarity matrix of DESIGN.md: which strategy fits which data. */
export const STRATEGY_MATRIX: Readonly<Record<'small' | 'large', Readonly<Record<'similar' | 'different', StrategyName>>>> = {
  small: { similar: 'freeze', different: 'slice' },
  large: { similar: 'finetune', different: 'retrain' },
};

/** What the linear probes measured, and on how many images. */
export interface ProbeMeasurement {
  /** Validation accuracy at the deep and the early cut. */
  deep: number;
  early: number;
  /** Images the probes trained and validated on (readable ones). */
  images: { train: number; validation: number };
}

export interface Advice {
  strategy: StrategyName;
  size: 'small' | 'large';
  similarity: 'similar' | 'different';
  /** Median training images per class. */
  imagesPerClass: number;
  /** Linear-probe validation accuracy at each cut, and the images it was measured on. */
  probe: ProbeMeasurement;
  thresholds: typeof ADVISOR_THRESHOLDS;
  /** The weights' random-init marker: the probes then measured random features, not ImageNet's. */
  randomInit?: string;
  /** One sentence per piece of evidence, for printing. */
  reasons: string[];
  /** Probed images that could not be read (skipped). */
  unreadable: UnreadableImage[];
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The counted half of the advice: training images per class, their median, and the size that means. */
export function measureSize(dataset: Dataset): { counts: number[]; imagesPerClass: number; size: 'small' | 'large' } {
  const counts = dataset.classes.map((_, c) => dataset.splits.train.filter((i) => i.classIndex === c).length);
  const imagesPerClass = median(counts);
  return { counts, imagesPerClass, size: imagesPerClass < ADVISOR_THRESHOLDS.smallPerClass ? 'small' : 'large' };
}

/** At most `n` items per class, in dataset order (deterministic). */
function perClass(items: readonly DatasetItem[], n: number): DatasetItem[] {
  const seen = new Map<number, number>();
  return items.filter((i) => {
    const k = seen.get(i.classIndex) ?? 0;
    seen.set(i.classIndex, k + 1);
    return k < n;
  });
}

/** Per-sample channel means of NHWC rows (global average pooling): [n, ...spatial, c] -> [n, c]. */
function channelMeans(source: ArraySource): Float32Array {
  const c = source.sampleShape.at(-1)!;
  const positions = source.rowSize / c;
  const n = source.labels.length;
  const values = source.values;
  const out = new Float32Array(n * c);
  const sums = new Float64Array(c);
  for (let s = 0; s < n; s++) {
    sums.fill(0);
    for (let p = 0, o = s * source.rowSize; p < positions; p++, o += c) for (let k = 0; k < c; k++) sums[k]! += values[o + k]!;
    for (let k = 0; k < c; k++) out[s * c + k] = sums[k]! / positions;
  }
  return out;
}

/**
 * Global-average-pool and standardise features with the training set's channel statistics. In JS,
 * not tfjs: on wasm, uploading ~300 MB of block3_pool features to take their means cost seconds.
 */
function pooled(train: ArraySource, val: ArraySource): [ArraySource, ArraySource] {
  const c = train.sampleShape.at(-1)!;
  const [pt, pv] = [channelMeans(train), channelMeans(val)];
  const n = train.labels.length;
  for (let k = 0; k < c; k++) {
    let mean = 0;
    for (let s = 0; s < n; s++) mean += pt[s * c + k]!;
    mean /= n;
    let variance = 0;
    for (let s = 0; s < n; s++) variance += (pt[s * c + k]! - mean) ** 2;
    const std = Math.sqrt(variance / n) + 1e-6;
    for (const p of [pt, pv]) for (let i = k; i < p.length; i += c) p[i] = (p[i]! - mean) / std;
  }
  return [new ArraySource(pt, [c], train.labels), new ArraySource(pv, [c], val.labels)];
}

/** The images the probes train and validate on: at most `n` per class and split. */
export function probeSplit(dataset: Dataset, n: number = ADVISOR_THRESHOLDS.probeImagesPerClass): { train: DatasetItem[]; validation: DatasetItem[] } {
  return { train: perClass(dataset.splits.train, n), validation: perClass(dataset.splits.validation, n) };
}

/** Wilson score interval of an accuracy measured on `n` images. */
export function wilsonInterval(accuracy: number, n: number, z: number = ADVISOR_THRESHOLDS.confidenceZ): [number, number] {
  if (n === 0) return [0, 1];
  const z2 = z * z;
  const centre = (accuracy + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((accuracy * (1 - accuracy)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The similarity the thresholds give for measured probe accuracies. */
function similarityOf(p: Pick<ProbeMeasurement, 'deep' | 'early'>): 'similar' | 'different' {
  const t = ADVISOR_THRESHOLDS;
  return p.deep >= t.deepAccuracy && p.deep >= p.early - t.maxDeepDeficit ? 'similar' : 'different';
}

/**
 * Whether more probe images could change the answer: the deep probe's 95 % interval straddles
 * `deepAccuracy`, or it clears it but without beating the early probe (the deficit test then hangs
 * on a few images). A probe trained on fewer images tends to score lower, so "clearly below" is
 * the side where that bias could mislead; the interval's upper end must still be under the threshold.
 */
export function inDoubt(p: ProbeMeasurement): boolean {
  const [low, high] = wilsonInterval(p.deep, p.images.validation);
  const t = ADVISOR_THRESHOLDS;
  if (high < t.deepAccuracy) return false;
  return !(low >= t.deepAccuracy && p.deep >= p.early);
}

/** Validation accuracy of a softmax layer trained on pooled features at `cut` (a linear probe). */
async function probeAccuracy(dataset: Dataset, split: { train: DatasetItem[]; validation: DatasetItem[] }, cut: string, o: FeatureOptions, seed: number): Promise<number> {
  const features = await cachedFeatures(split, { ...o, cut, extraCuts: undefined });
  const [train, val] = pooled(features.train, features.val);
  const classes = dataset.classes.length;
  const input = tf.input({ shape: [...train.sampleShape] });
  const random = createRng(`probe:${seed}:${cut}`);
  const dense = tf.layers.dense({ name: 'predictions', units: classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const probe = tf.model({ inputs: input, outputs: dense.apply(input) as tf.SymbolicTensor });
  try {
    const result = await fit({
      trainer: probe, train, val, numClasses: classes, epochs: ADVISOR_THRESHOLDS.probeEpochs, batchSize: 32,
      optimizer: { name: 'adam', lr: 1e-2, momentum: 0 }, trainable: new Set(['predictions']), random,
      shouldStop: () => o.signal?.aborted ?? false,
    });
    if (result.interrupted) throw new InterruptedError(`interrupted while the advisor trained its linear probe on ${cut}; the features extracted so far are cached.`);
    return (await lossAndAccuracy([dense], val, 64, classes)).acc;
  } finally {
    probe.dispose();
  }
}

/**
 * The cuts a `strategy: auto` run may read: both probe cuts, and fine-tuning's cut (the layer before
 * `unfreezeFrom`) when the data is large; small data ends in freeze or slice, which read the probe
 * cuts themselves. `advise` decides precision over the same cuts as `train --strategy auto`, so the
 * guard sees the same cuts and both give the same advice.
 */
export function autoReadCuts(dataset: Dataset, unfreezeFrom: string = defaultOf(trainOptionsSchema.shape.unfreezeFrom)): string[] {
  const finetuneCut = VGG16_LAYER_NAMES[vgg16LayerIndex(unfreezeFrom) - 1];
  const large = measureSize(dataset).size === 'large' && finetuneCut !== undefined;
  return [...new Set<string>([PROBE_CUTS.deep, PROBE_CUTS.early, ...(large ? [finetuneCut] : [])])];
}

/**
 * Recommend a strategy from the size x similarity matrix. Size is counted; similarity is measured:
 * linear probes on cached features at block5_pool (deep) and block3_pool (early). When deep features
 * separate the classes well and not much worse than early ones, the data is like ImageNet ("similar").
 * The probes measure on `quickProbeImagesPerClass` images per class and split first, and on up to
 * `probeImagesPerClass` only when that answer is in doubt (`inDoubt`). One forward pass per probe
 * image writes both probe cuts, plus `extraCuts` (a cut the caller reads next, e.g. fine-tuning's),
 * so no image runs through the prefix twice. `o.signal` stops extraction and the probes within one
 * batch (an InterruptedError).
 */
export async function advise(dataset: Dataset, o: FeatureOptions & { seed?: number }): Promise<Advice> {
  const t = ADVISOR_THRESHOLDS;
  const { counts, imagesPerClass, size } = measureSize(dataset);
  const seed = o.seed ?? defaultOf(seedSchema);
  const cuts = [...new Set([...autoReadCuts(dataset), ...(o.extraCuts ?? [])])];
  // Calibrated on the whole training split, as `train` does, so a run after the advice reuses it.
  const decided = await decidePrecision(dataset.splits.train, o, cuts);
  const measure = async (split: { train: DatasetItem[]; validation: DatasetItem[] }): Promise<{ probe: ProbeMeasurement; unreadable: UnreadableImage[] }> => {
    // One forward pass per probe image writes every cut; images of an earlier stage are cached.
    const summary = await extractOrStop(splitItems(split), { ...decided, cut: cuts[0], extraCuts: cuts.slice(1) });
    const fo: FeatureOptions = { ...decided, precision: summary.precision };
    const deep = await probeAccuracy(dataset, split, PROBE_CUTS.deep, fo, seed);
    const early = await probeAccuracy(dataset, split, PROBE_CUTS.early, fo, seed);
    const readable = (items: DatasetItem[]) => withoutUnreadable(items, summary.unreadable).length;
    return { probe: { deep, early, images: { train: readable(split.train), validation: readable(split.validation) } }, unreadable: summary.unreadable };
  };
  const quick = probeSplit(dataset, t.quickProbeImagesPerClass);
  const full = probeSplit(dataset);
  let measured = await measure(quick);
  if (inDoubt(measured.probe) && full.train.length + full.validation.length > quick.train.length + quick.validation.length) measured = await measure(full);
  const { probe, unreadable } = measured;
  const { deep, early } = probe;
  const similarity = similarityOf(probe);
  const randomInit = await readRandomInitMarker(o.weights);
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const features = randomInit === undefined ? 'features' : 'features of random-init weights';
  return {
    strategy: STRATEGY_MATRIX[size][similarity],
    size,
    similarity,
    imagesPerClass,
    probe,
    thresholds: t,
    ...(randomInit === undefined ? {} : { randomInit }),
    reasons: [
      `size: median ${imagesPerClass} training images per class (${counts.join(' / ')}) -> ${size} (small below ${t.smallPerClass})`,
      `linear probe on ${PROBE_CUTS.deep} ${features}: ${pct(deep)} validation accuracy; on ${PROBE_CUTS.early}: ${pct(early)} (${probe.images.train} training / ${probe.images.validation} validation images)`,
      randomInit === undefined
        ? `similarity: ${similarity} (similar when deep >= ${pct(t.deepAccuracy)} and at most ${pct(t.maxDeepDeficit)} below early)`
        : `similarity: ${similarity} by the thresholds, but measured on random-init weights it says nothing about how close the images are to ImageNet's`,
    ],
    // The extraction pass over the probe images met every unreadable file among them.
    unreadable,
  };
}

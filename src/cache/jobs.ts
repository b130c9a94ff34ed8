/** Units of extraction work, what computing a batch reports, and the settings every process shares. */
import type { BackendPreference } from '../backend/index.ts';
import type { AugmentOptions } from '../data/augment-options.ts';
import type { ResizeMode } from '../data/decode.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import type { CreateEngineOptions } from '../models/engines/index.ts';
import type { Int8Ranges } from '../models/engines/prefix-graph.ts';
import type { EngineChoice } from '../models/engines/types.ts';
import type { FeatureDtype } from './feature-store.ts';

/** One image variant to compute features for. */
export interface FeatureJob {
  /** Cache key (`featureKey`) at the context's `cut`. */
  key: string;
  /** Keys at `cut` then each of `extraCuts`, written from one pass. Default: [key]. */
  keys?: string[];
  /** Image file. */
  path: string;
  /** Its content hash (seeds its augmentation, so renamed files keep their variants). */
  imageHash: string;
  /** 0 = the original image; 1..K = augmented copy K (its variant id is part of the key). */
  copy: number;
}

/** What one computed batch added to the cache. */
export interface BatchResult {
  computed: number;
  unreadable: UnreadableImage[];
  /** Bytes of feature values written. */
  bytes: number;
}

/** Augmentation for copies >= 1: Keras ImageDataGenerator-style options and the seed. */
export interface AugmentationSpec {
  options: AugmentOptions;
  seed: number;
}

/** What every process running extraction needs (plain data: it is sent to worker processes). */
export interface ExtractContext {
  /** Weights file path (each worker reads it itself). */
  weights: string;
  cut: string;
  /** More cuts computed in the same pass. */
  extraCuts?: string[];
  /** Run the int8 graph with these calibrated ranges; fp32 when absent. */
  int8?: Int8Ranges;
  inputSize: number;
  resize: ResizeMode;
  engine: EngineChoice;
  /** tfjs backend; undefined = initBackend's choice. */
  backend?: BackendPreference;
  /** onnxruntime intra-op threads per process; undefined = every core. */
  threads?: number;
  cacheDir: string;
  dtype: FeatureDtype;
  augmentation?: AugmentationSpec;
}

/** The engine every process builds for `ctx`. */
export function engineOptions(ctx: ExtractContext): CreateEngineOptions {
  return { weights: ctx.weights, cut: ctx.cut, extraCuts: ctx.extraCuts, int8: ctx.int8, inputSize: ctx.inputSize, engine: ctx.engine, backend: ctx.backend, threads: ctx.threads };
}

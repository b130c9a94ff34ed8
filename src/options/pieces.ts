/**
 * One option vocabulary: the zod piece (type, limits, default) of every option that more than one
 * command or library entry point takes. Commands, `--config` files and library callers all parse
 * through these, and `--help` reads the defaults from them, so a default is written once, here.
 */
import { z } from 'zod';
import { backendPreferenceSchema } from '../backend/index.ts';
import { augmentInputSchema } from '../data/augment-options.ts';
import { DEFAULT_RESIZE, RESIZE_MODES, type ResizeMode } from '../data/decode.ts';
import type { EngineChoice } from '../models/engines/types.ts';
import { VGG16_LAYER_NAMES } from '../models/vgg16-spec.ts';
import { featureCacheDir } from '../util/user-dirs.ts';

/** `--precision`: auto (int8 on onnx CPU when the guard passes) | fp32 | int8. */
export const PRECISION_CHOICES = ['auto', 'fp32', 'int8'] as const;
export type PrecisionChoice = (typeof PRECISION_CHOICES)[number];

/** `--engine`: auto (onnx when onnxruntime loads, else tfjs) | onnx | tfjs. */
export const ENGINE_CHOICES = ['auto', 'onnx', 'tfjs'] as const satisfies readonly EngineChoice[];

export const seedSchema = z.number().int().min(0).max(2 ** 32 - 1).default(1337);
export const valSplitSchema = z.number().gt(0).lt(1).default(0.2);
export const cacheSchema = z.string().min(1).default(() => featureCacheDir());
export const inputSizeSchema = z.number().int().min(32).default(224);
export const resizeSchema = z.enum(RESIZE_MODES as [ResizeMode, ...ResizeMode[]]).default(DEFAULT_RESIZE);
export const precisionSchema = z.enum(PRECISION_CHOICES).default('auto');
export const engineSchema = z.enum(ENGINE_CHOICES).default('auto');
export const backendSchema = backendPreferenceSchema.optional();
export const augmentSchema = augmentInputSchema.optional();
export const augmentCopiesSchema = z.number().int().min(1).default(1);
export const cutSchema = z.enum(VGG16_LAYER_NAMES).default('block5_pool');
export const weightsSchema = z.string().min(1).optional();

/** The shared pieces by option name (the camelCase key every schema and `--config` file uses). */
export const OPTION_PIECES = {
  /** Seed of the split, weight init, shuffling, dropout, augmentation and the advisor's probes. Default: 1337. */
  seed: seedSchema,
  /** Validation fraction when the folder has no train/validation split. Default: 0.2. */
  valSplit: valSplitSchema,
  /** Feature cache directory. Default: `~/.cache/transferkit/features` ({@link featureCacheDir}). */
  cache: cacheSchema,
  /** Square input side in pixels (>= 32; the vgg head needs 224). Default: 224. */
  inputSize: inputSizeSchema,
  /** How images are fitted to the input (see ResizeMode). Default: DEFAULT_RESIZE, Keras load_img nearest. */
  resize: resizeSchema,
  /** Frozen-feature precision: auto (int8 on onnx CPU when the guard passes) | fp32 | int8. Default: auto. */
  precision: precisionSchema,
  /** Feature-extraction and inference engine. Default: auto. */
  engine: engineSchema,
  /** tfjs backend. Default: TRANSFERKIT_BACKEND, else auto. */
  backend: backendSchema,
  /** Augmentation: a preset and/or Keras ImageDataGenerator fields (`{ preset: 'standard' }`). Default: none. */
  augment: augmentSchema,
  /** Augmented copies cached per training image when augmenting (feature variants cycled through epochs). Default: 1. */
  augmentCopies: augmentCopiesSchema,
  /** Last frozen VGG16 layer of the cached prefix. Default: block5_pool. */
  cut: cutSchema,
  /** VGG16 weights file (Keras HDF5). Default: the command's (train and advise: the official Keras file). */
  weights: weightsSchema,
} as const;

export type OptionName = keyof typeof OPTION_PIECES;
/** The value of each shared option after defaults. */
export type SharedOptions = { [K in OptionName]: z.output<(typeof OPTION_PIECES)[K]> };

/** The default of a piece with one, read from the schema itself. */
export function defaultOf<S extends z.ZodDefault>(schema: S): z.output<S> {
  return schema.def.defaultValue as z.output<S>;
}

/** The shared pieces named in `names`, for composing a command's or entry point's schema. */
export function pickOptions<const K extends OptionName>(...names: K[]): { [N in K]: (typeof OPTION_PIECES)[N] } {
  return Object.fromEntries(names.map((n) => [n, OPTION_PIECES[n]])) as { [N in K]: (typeof OPTION_PIECES)[N] };
}

/** The split every command makes of a folder without a validation/ folder, unless told otherwise. */
export function defaultSplit(): { valSplit: number; seed: number } {
  return { valSplit: defaultOf(valSplitSchema), seed: defaultOf(seedSchema) };
}

import { z } from 'zod';
import { parseOrThrow } from '../util/validate.ts';

/** How pixels sampled from outside the image are filled (Keras `fill_mode`). */
export type FillMode = 'constant' | 'nearest' | 'reflect' | 'wrap';

/**
 * Random augmentation, with the semantics of Keras `ImageDataGenerator` (the Keras argument name is
 * given for each field). Every field has a "do nothing" default; see AUGMENT_PRESETS for sets the
 * wizard offers. Parse user input with `parseAugmentOptions`.
 */
export interface AugmentOptions {
  /** Keras `rotation_range`: degrees; rotation drawn uniformly from [-r, r]. Default 0. */
  rotationRange: number;
  /** Keras `width_shift_range`: < 1 is a fraction of the width, >= 1 pixels; shift drawn from [-r, r]. Default 0. */
  widthShiftRange: number;
  /** Keras `height_shift_range`: as widthShiftRange, for the height. Default 0. */
  heightShiftRange: number;
  /** Keras `shear_range`: shear angle in degrees (counter-clockwise), drawn from [-r, r]. Default 0. */
  shearRange: number;
  /**
   * Keras `zoom_range` as [lower, upper] (Keras' float z means [1-z, 1+z]); each axis draws its own
   * factor. Keras convention: factors above 1 zoom OUT (sample a larger area). Default [1, 1].
   */
  zoomRange: [number, number];
  /** Keras `horizontal_flip`: mirror left-right with probability 0.5. Default false. */
  horizontalFlip: boolean;
  /** Keras `vertical_flip`: mirror top-bottom with probability 0.5. Default false. */
  verticalFlip: boolean;
  /** Keras `brightness_range`: [lo, hi] multiplier drawn uniformly, or null for none. Default null. */
  brightnessRange: [number, number] | null;
  /** Keras `channel_shift_range`: one offset drawn from [-r, r] (0-255 scale) added to every channel. Default 0. */
  channelShiftRange: number;
  /**
   * Hue rotation in degrees drawn from [-r, r] (no Keras equivalent; like tf.image.random_hue), as the
   * luminance-keeping RGB matrix of the W3C `hueRotate` filter. Default 0.
   */
  hueRange: number;
  /** Saturation multiplier [lo, hi] drawn uniformly (W3C `saturate` matrix), or null for none (tf.image.random_saturation). Default null. */
  saturationRange: [number, number] | null;
  /** Keras `fill_mode`: constant (cval), nearest (edge pixel), reflect (mirror), wrap (tile). Default 'nearest' as Keras. */
  fillMode: FillMode;
  /** Keras `cval`: grey level 0-255 used when fillMode is constant. Default 0. */
  cval: number;
}

/** The do-nothing augmentation; every default lives here. */
export const NO_AUGMENTATION: Readonly<AugmentOptions> = Object.freeze<AugmentOptions>({
  rotationRange: 0,
  widthShiftRange: 0,
  heightShiftRange: 0,
  shearRange: 0,
  zoomRange: [1, 1],
  horizontalFlip: false,
  verticalFlip: false,
  brightnessRange: null,
  channelShiftRange: 0,
  hueRange: 0,
  saturationRange: null,
  fillMode: 'nearest',
  cval: 0,
});

export const AUGMENT_PRESET_NAMES = ['none', 'light', 'standard', 'strong'] as const;
export type AugmentPreset = (typeof AUGMENT_PRESET_NAMES)[number];

/** Named starting points; `strong` is close to the Keras blog's "cats vs dogs" generator plus colour jitter. */
export const AUGMENT_PRESETS: Readonly<Record<AugmentPreset, Readonly<AugmentOptions>>> = Object.freeze({
  none: NO_AUGMENTATION,
  light: { ...NO_AUGMENTATION, rotationRange: 10, widthShiftRange: 0.05, heightShiftRange: 0.05, zoomRange: [0.95, 1.05], horizontalFlip: true },
  standard: {
    ...NO_AUGMENTATION,
    rotationRange: 20,
    widthShiftRange: 0.1,
    heightShiftRange: 0.1,
    shearRange: 5,
    zoomRange: [0.9, 1.1],
    horizontalFlip: true,
    brightnessRange: [0.9, 1.1],
  },
  strong: {
    ...NO_AUGMENTATION,
    rotationRange: 40,
    widthShiftRange: 0.2,
    heightShiftRange: 0.2,
    shearRange: 11.5,
    zoomRange: [0.8, 1.2],
    horizontalFlip: true,
    brightnessRange: [0.7, 1.3],
    channelShiftRange: 20,
    hueRange: 10,
    saturationRange: [0.7, 1.3],
  },
});

const nonNegative = z.number().finite().nonnegative();
const range = z.tuple([z.number().finite().positive(), z.number().finite().positive()]).refine(([lo, hi]) => lo <= hi, 'lower bound above upper bound');

/** Schema of user-supplied augmentation: an optional preset plus any field overriding it. */
export const augmentInputSchema = z
  .object({
    preset: z.enum(AUGMENT_PRESET_NAMES).optional(),
    rotationRange: nonNegative.max(180).optional(),
    widthShiftRange: nonNegative.optional(),
    heightShiftRange: nonNegative.optional(),
    shearRange: nonNegative.max(89).optional(),
    zoomRange: z.union([nonNegative.lt(1).transform((zr): [number, number] => [1 - zr, 1 + zr]), range]).optional(),
    horizontalFlip: z.boolean().optional(),
    verticalFlip: z.boolean().optional(),
    brightnessRange: range.nullable().optional(),
    channelShiftRange: nonNegative.max(255).optional(),
    hueRange: nonNegative.max(180).optional(),
    saturationRange: range.nullable().optional(),
    fillMode: z.enum(['constant', 'nearest', 'reflect', 'wrap']).optional(),
    cval: nonNegative.max(255).optional(),
  })
  .strict();

export type AugmentInput = z.input<typeof augmentInputSchema>;

/** Validate user input (preset + overrides) once, at the edge; throws UserError naming the bad field. */
export function parseAugmentOptions(input: unknown): AugmentOptions {
  const { preset, ...overrides } = parseOrThrow(augmentInputSchema, input ?? {}, 'augmentation options');
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<AugmentOptions>;
  return { ...AUGMENT_PRESETS[preset ?? 'none'], ...defined };
}

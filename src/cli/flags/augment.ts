import { Option } from 'commander';
import type { Command } from 'commander';
import { AUGMENT_PRESET_NAMES, parseAugmentOptions } from '../../data/augment-options.ts';
import type { AugmentOptions } from '../../data/augment-options.ts';

/**
 * The augmentation flags, defined once for every command that augments (augment-preview, train,
 * extract). Flag names are Keras' argument names in kebab case.
 */
export function addAugmentFlags(cmd: Command): Command {
  const list = (v: string): number[] => v.split(',').map(Number);
  return cmd
    .addOption(new Option('--augment <preset>', 'augmentation preset; the flags below override it').choices(AUGMENT_PRESET_NAMES))
    .option('--rotation-range <degrees>', 'Keras rotation_range', Number)
    .option('--width-shift-range <r>', 'Keras width_shift_range (< 1: fraction of width, >= 1: pixels)', Number)
    .option('--height-shift-range <r>', 'Keras height_shift_range', Number)
    .option('--shear-range <degrees>', 'Keras shear_range', Number)
    .option('--zoom-range <z|lo,hi>', 'Keras zoom_range: z means [1-z, 1+z]', list)
    .option('--horizontal-flip', 'Keras horizontal_flip')
    .option('--vertical-flip', 'Keras vertical_flip')
    .option('--brightness-range <lo,hi>', 'Keras brightness_range', list)
    .option('--channel-shift-range <r>', 'Keras channel_shift_range (0-255 scale)', Number)
    .option('--hue-range <degrees>', 'random hue rotation in [-r, r]', Number)
    .option('--saturation-range <lo,hi>', 'random saturation multiplier', list)
    .addOption(new Option('--fill-mode <mode>', 'Keras fill_mode').choices(['constant', 'nearest', 'reflect', 'wrap']))
    .option('--cval <grey>', 'Keras cval: fill grey level 0-255 for --fill-mode constant', Number);
}

/** Turn the parsed flags of `addAugmentFlags` into validated AugmentOptions (UserError on bad values). */
export function parseAugmentFlags(flags: Record<string, unknown>): AugmentOptions {
  const zoom = flags.zoomRange as number[] | undefined;
  return parseAugmentOptions({
    preset: flags.augment,
    rotationRange: flags.rotationRange,
    widthShiftRange: flags.widthShiftRange,
    heightShiftRange: flags.heightShiftRange,
    shearRange: flags.shearRange,
    zoomRange: zoom?.length === 1 ? zoom[0] : zoom,
    horizontalFlip: flags.horizontalFlip,
    verticalFlip: flags.verticalFlip,
    brightnessRange: flags.brightnessRange,
    channelShiftRange: flags.channelShiftRange,
    hueRange: flags.hueRange,
    saturationRange: flags.saturationRange,
    fillMode: flags.fillMode,
    cval: flags.cval,
  });
}

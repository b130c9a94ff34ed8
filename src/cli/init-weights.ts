import type { Command } from 'commander';
import { z } from 'zod';
import { parseOrThrow } from '../util/validate.ts';
import { initWeights, INIT_WEIGHTS_DEFAULTS } from '../models/init-weights.ts';
import { defaultNote } from './flags/shared.ts';

const optionsSchema = z.object({
  out: z.string().min(1),
  top: z.boolean(),
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).default(INIT_WEIGHTS_DEFAULTS.seed),
});

/** `transferkit init-weights`: a Keras-initialised VGG16 weights file for tests, benchmarks and offline use. */
export function register(program: Command): void {
  program
    .command('init-weights')
    .description("Write a VGG16 weights file with Keras's default initialisers (glorot-uniform kernels, zero biases)")
    .requiredOption('--out <file>', 'Keras HDF5 file to write (legacy save_weights layout)')
    .option('--no-top', 'without fc1/fc2/predictions (56 MB instead of 528 MB)')
    .option('--seed <n>', `PRNG seed; the same seed gives identical weights${defaultNote(optionsSchema.shape.seed)}`)
    .action(async (raw: unknown) => {
      const { out, top, seed } = parseOrThrow(optionsSchema, raw, 'init-weights options', { asFlags: true });
      await initWeights(out, { includeTop: top, seed });
      console.log(`Wrote ${out} (VGG16${top ? '' : ' without top'}, seed ${seed})`);
    });
}

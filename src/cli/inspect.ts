import type { Command } from 'commander';
import { z } from 'zod';
import { describeKerasFile, formatKerasFileDescription } from '../keras/describe.ts';
import { readKerasFile } from '../keras/read.ts';
import { parseOrThrow } from '../util/validate.ts';

const optionsSchema = z.object({ json: z.boolean().default(false) });

/** `transferkit inspect FILE`: what a Keras HDF5/.keras file holds, without building a model. */
export function register(program: Command): void {
  program
    .command('inspect')
    .description('Show a Keras weights/model file: format, keras_version, backend, layers, weight shapes, params')
    .argument('<file>', 'Keras .h5, .weights.h5 or .keras file')
    .option('--json', 'print the description as JSON')
    .action(async (file: string, raw: unknown) => {
      const o = parseOrThrow(optionsSchema, raw, 'inspect options');
      const description = describeKerasFile(await readKerasFile(file));
      console.log(o.json ? JSON.stringify(description, null, 2) : formatKerasFileDescription(description));
    });
}

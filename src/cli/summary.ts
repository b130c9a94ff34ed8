import type { Command } from 'commander';
import { z } from 'zod';
import { parseOrThrow } from '../util/validate.ts';
import { initBackendFromCli } from './backend.ts';
import { vgg16 } from '../models/vgg16.ts';
import { formatModelSummary, summarizeModel } from '../report/model-summary.ts';

const optionsSchema = z.object({
  top: z.boolean(),
  inputSize: z.coerce.number().int().positive().optional(),
  pooling: z.enum(['avg', 'max']).optional(),
  weights: z.string().optional(),
});

/** `transferkit summary`: VGG16's Keras `model.summary()` for the chosen options. */
export function register(program: Command): void {
  program
    .command('summary')
    .description('Print the VGG16 architecture as Keras model.summary() does (layers, output shapes, params)')
    .option('--no-top', 'without flatten/fc1/fc2/predictions (include_top=False)')
    .option('--input-size <n>', 'input side in pixels; other than 224 needs --no-top (min 32)')
    .option('--pooling <mode>', 'global pooling after block5_pool with --no-top: avg | max')
    .option('--weights <file>', 'load this Keras HDF5 weights file first (checks that it fits)')
    .action(async (raw: unknown, cmd: Command) => {
      const o = parseOrThrow(optionsSchema, raw, 'summary options', { asFlags: true });
      await initBackendFromCli(cmd);
      const side = o.inputSize ?? 224;
      const model = await vgg16({ includeTop: o.top, inputShape: [side, side, 3], pooling: o.pooling, weights: o.weights });
      console.log(formatModelSummary(summarizeModel(model)));
      model.dispose();
    });
}

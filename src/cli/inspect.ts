import type { Command } from 'commander';
import { z } from 'zod';
import { describeKerasFile, formatKerasFileDescription } from '../keras/describe.ts';
import { initBackendFromCli } from './backend.ts';
import { loadKerasModel, runOnZeros } from '../keras/load-model.ts';
import { readKerasFile } from '../keras/read.ts';
import { parseOrThrow } from '../util/validate.ts';

const optionsSchema = z.object({ json: z.boolean().default(false), run: z.boolean().default(false) });

/** `transferkit inspect FILE`: what a Keras HDF5/.keras file holds, without building a model. */
export function register(program: Command): void {
  program
    .command('inspect')
    .description('Show a Keras weights/model file: format, keras_version, backend, layers, weight shapes, params')
    .argument('<FILE>', 'Keras .h5, .weights.h5 or .keras file')
    .option('--json', 'print the description as JSON')
    .option('--run', 'also build the model from its config, load its weights, run it once on zeros and print the output shape')
    .action(async (file: string, raw: unknown, cmd: Command) => {
      const o = parseOrThrow(optionsSchema, raw, 'inspect options', { asFlags: true });
      const description = describeKerasFile(await readKerasFile(file));
      // Text mode prints what the file holds first, so a model that cannot run still gets described.
      if (!o.json) console.log(formatKerasFileDescription(description));
      const run = o.run ? await runModel(file, cmd) : undefined;
      if (o.json) console.log(JSON.stringify(run ? { ...description, run } : description, null, 2));
      else if (run) console.log(`run on zeros (${run.backend}): input ${run.inputShapes.map(fmtShape).join(', ')} -> output ${run.outputShapes.map(fmtShape).join(', ')}`);
    });
}

const fmtShape = (shape: readonly (number | null)[]) => `[${shape.map((d) => d ?? 'None').join(', ')}]`;

/** `--run`: the model as loadKerasModel builds it, run once on zeros. */
async function runModel(file: string, cmd: Command): Promise<{ backend: string; inputShapes: (number | null)[][]; outputShapes: number[][] }> {
  const { name } = await initBackendFromCli(cmd);
  const model = await loadKerasModel(file);
  try {
    return { backend: name, inputShapes: model.inputs.map((i) => [...i.shape]), outputShapes: runOnZeros(model) };
  } finally {
    model.dispose();
  }
}

import type { Command } from 'commander';
import { z } from 'zod';
import { initBackendFromCli } from '../backend/index.ts';
import { scanDataset } from '../data/scan.ts';
import { describeUnreadable } from '../data/unreadable.ts';
import { advise } from '../training/advisor.ts';
import { resolveWeightsPath } from '../training/train.ts';
import { featureCacheDir } from '../util/user-dirs.ts';
import { parseOrThrow } from '../util/validate.ts';
import { trainRenderer } from './render/train-events.ts';
import { warnIfRandomInit } from './warnings.ts';

const optionsSchema = z.object({
  weights: z.string().min(1).optional(),
  inputSize: z.coerce.number().int().min(32).default(224),
  cache: z.string().min(1).default(() => featureCacheDir()),
  engine: z.enum(['auto', 'onnx', 'tfjs']).default('auto'),
  valSplit: z.coerce.number().gt(0).lt(1).default(0.2),
  seed: z.coerce.number().int().min(0).default(0),
  json: z.boolean().default(false),
});

/** `transferkit advise DATA_DIR`: which strategy fits this data, with the evidence. */
export function register(program: Command): void {
  program
    .command('advise')
    .argument('<DATA_DIR>', 'image folder')
    .description('Recommend a strategy from dataset size and measured similarity (linear probes on deep vs early features)')
    .option('--weights <file>', 'VGG16 Keras weights (default the official Keras file, downloaded once into ~/.cache/transferkit/models)')
    .option('--input-size <n>', 'square input side (default 224)')
    .option('--cache <dir>', `feature cache directory (default ${featureCacheDir()})`)
    .option('--engine <name>', 'auto | onnx | tfjs (default auto)')
    .option('--val-split <fraction>', 'validation fraction when DATA_DIR has no validation/ folder (default 0.2)')
    .option('--seed <n>', 'seed of the split and the probes (default 0)')
    .option('--json', 'print the advice as JSON')
    .action(async (dataDir: string, raw: unknown, self: Command) => {
      const o = parseOrThrow(optionsSchema, raw, 'advise options', { asFlags: true });
      await initBackendFromCli(self);
      const renderer = trainRenderer(process.stderr);
      const weights = await resolveWeightsPath({ weights: o.weights, head: 'gap' }, renderer.onEvent);
      await warnIfRandomInit(weights);
      const dataset = await scanDataset(dataDir, { valSplit: o.valSplit, seed: o.seed });
      const advice = await advise(dataset, { weights, inputSize: o.inputSize, cache: o.cache, engine: o.engine, seed: o.seed, onEvent: renderer.onEvent }).finally(renderer.close);
      if (o.json) {
        console.log(JSON.stringify(advice, null, 2));
        return;
      }
      console.log(`recommended strategy: ${advice.strategy} (${advice.size} dataset, ${advice.randomInit === undefined ? `${advice.similarity} to ImageNet` : 'similarity measured on random-init weights'})`);
      for (const r of advice.reasons) console.log(`  ${r}`);
      for (const u of advice.unreadable) console.error(`transferkit: ${describeUnreadable(u)}`);
      console.log(`  train with: transferkit train ${dataDir} --strategy ${advice.strategy}`);
    });
}

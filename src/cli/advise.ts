import type { Command } from 'commander';
import { z } from 'zod';
import { initBackend } from '../backend/index.ts';
import { scanDataset } from '../data/scan.ts';
import { describeUnreadable } from '../data/unreadable.ts';
import { pickOptions } from '../options/pieces.ts';
import { advise } from '../training/advisor.ts';
import { resolveWeightsPath } from '../training/train.ts';
import { parseOrThrow } from '../util/validate.ts';
import { backendFromCli } from './backend.ts';
import { addSharedFlags } from './flags/shared.ts';
import { trainRenderer } from './render/train-events.ts';
import { warnIfRandomInit } from './warnings.ts';

// The same pieces (and so the same defaults) as `train`: `advise DIR` and `train DIR --strategy auto` measure the same split with the same probes.
const optionsSchema = z.object({
  ...pickOptions('weights', 'inputSize', 'resize', 'cache', 'engine', 'precision', 'valSplit', 'seed'),
  json: z.boolean().default(false),
});

/** `transferkit advise DATA_DIR`: which strategy fits this data, with the evidence. */
export function register(program: Command): void {
  const cmd = program
    .command('advise')
    .argument('<DATA_DIR>', 'image folder')
    .description('Recommend a strategy from dataset size and measured similarity (linear probes on deep vs early features)');
  addSharedFlags(cmd, {
    weights: 'VGG16 Keras weights (default the official Keras file, downloaded once into ~/.cache/transferkit/models)',
    inputSize: 'square input side, >= 32',
    resize: 'how images are fitted to the input (as train --resize)',
    cache: 'feature cache directory',
    engine: 'feature extraction engine: auto | onnx | tfjs',
    precision: 'probe features: auto (int8 on CPU when it matches fp32) | fp32 | int8',
    valSplit: 'validation fraction when DATA_DIR has no validation/ folder',
    seed: 'seed of the split and the probes',
  })
    .option('--json', 'print the advice as JSON')
    .action(async (dataDir: string, raw: unknown, self: Command) => {
      const o = parseOrThrow(optionsSchema, raw, 'advise options', { asFlags: true });
      const backend = backendFromCli(self);
      await initBackend(backend);
      const renderer = trainRenderer(process.stderr);
      const weights = await resolveWeightsPath({ weights: o.weights, head: 'gap' }, renderer.onEvent);
      await warnIfRandomInit(weights);
      const dataset = await scanDataset(dataDir, { valSplit: o.valSplit, seed: o.seed });
      const advice = await advise(dataset, {
        weights, inputSize: o.inputSize, resize: o.resize, cache: o.cache, engine: o.engine, precision: o.precision, backend, seed: o.seed, onEvent: renderer.onEvent,
      }).finally(renderer.close);
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

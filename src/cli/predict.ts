import type { Command } from 'commander';
import { z } from 'zod';
import { OPTION_PIECES } from '../options/pieces.ts';
import { parseOrThrow } from '../util/validate.ts';
import { defaultNote } from './flags/shared.ts';
import { initBackendFromCli } from './backend.ts';
import { predictImagenet, type ImagePrediction } from '../models/predict.ts';
import { isRunDir } from '../inference/predict-run.ts';
import { predictRunCommand, topSchema } from './predict-run.ts';
import { warnIfRandomInit } from './warnings.ts';

const optionsSchema = z.object({
  weights: z.string().min(1),
  labels: z.string().optional(),
  top: topSchema,
  json: z.boolean().default(false),
  engine: z.undefined({ error: '--engine applies to the RUN_DIR form only (predict RUN_DIR IMAGE...)' }).optional(),
});

function formatPredictions(results: readonly ImagePrediction[]): string {
  return results
    .map(({ image, predictions }) =>
      [image, ...predictions.map((p, i) => `  ${i + 1}. ${p.label} (${p.wnid})  ${p.probability.toFixed(4)}`)].join('\n'),
    )
    .join('\n');
}

/** `transferkit predict`: top ImageNet classes for images with VGG16 weights that include the top. */
export function register(program: Command): void {
  program
    .command('predict')
    .description('Classify images with a trained run (predict RUN_DIR IMAGE_OR_FOLDER...) or with VGG16\'s ImageNet top (--weights FILE)')
    .argument('<INPUTS...>', 'image files; or RUN_DIR (from `transferkit train`) then image files or folders')
    .option('--weights <file>', 'ImageNet form: Keras HDF5 file with VGG16 weights including the top')
    .option('--labels <file>', 'imagenet_class_index.json (default: the one `transferkit fetch-weights` downloads)')
    .option('--top <k>', `classes to show per image${defaultNote(topSchema)}`)
    .option('--json', 'print JSON instead of text')
    .option('--csv', 'RUN_DIR form: print CSV (image,rank,class,probability,error)')
    .option('--engine <name>', `RUN_DIR form: inference engine, auto (onnx when onnxruntime loads) | onnx | tfjs${defaultNote(OPTION_PIECES.engine)}`)
    .action(async (images: string[], raw: unknown, cmd: Command) => {
      if (await isRunDir(images[0]!)) return predictRunCommand(images[0]!, images.slice(1), raw, cmd);
      const { weights, labels, top, json } = parseOrThrow(optionsSchema, raw, 'predict options', { asFlags: true });
      await initBackendFromCli(cmd);
      await warnIfRandomInit(weights);
      const results = await predictImagenet(images, { weights, labels, top });
      console.log(json ? JSON.stringify(results, null, 2) : formatPredictions(results));
    });
}

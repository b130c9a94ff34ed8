import type { Command } from 'commander';
import { z } from 'zod';
import { initBackendFromCli } from './backend.ts';
import { UsageError } from '../errors.ts';
import { formatRunSummary } from '../interpret/run-summary.ts';
import { visualizeActivations, visualizeGradCam, visualizeKernels, visualizeMaximize } from '../interpret/visualize.ts';
import { loadRun } from '../run/load-run.ts';
import { parseOrThrow } from '../util/validate.ts';
import { warnIfRandomInit } from './warnings.ts';

/** "0-15", "3", "0,4,8-11" -> the listed indices in order (at most 4096). */
export function parseIndexList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UsageError(`"${text}" is not an index list; expected e.g. 0-15 or 0,4,8-11.`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a || out.length + b - a >= 4096) throw new UsageError(`"${part}" in "${text}" is not a valid range; write low-high with at most 4096 indices.`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

// A bad list is an issue of its flag, so parseOrThrow names the flag and the command exits 2.
const indexList = z.string().transform((s, ctx) => {
  try {
    return parseIndexList(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});
const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const base = { weights: z.string().min(1), out: z.string().min(1) };

const kernelsSchema = z.object({ ...base, layer: z.string().min(1), filters: indexList.optional(), channels: indexList.optional() });
const activationsSchema = z.object({
  ...base,
  layer: z.string().min(1),
  channels: indexList.optional(),
  scale: z.enum(['shared', 'per-map']),
  kernel: count(0, 1 << 16).optional(),
  size: count(32, 2048),
});
const maximizeSchema = z.object({ ...base, layer: z.string().min(1), filters: indexList, steps: count(1, 100_000), size: count(8, 1024), seed: count(0, 2 ** 32 - 1) });
const gradcamSchema = z.object({
  weights: z.string().min(1).optional(),
  out: z.string().min(1),
  class: count(0, 1 << 20).optional(),
  top: z.boolean().optional(),
  layer: z.string().min(1).optional(),
  labels: z.string().min(1).optional(),
});

const WEIGHTS_HELP = 'VGG16 Keras .h5 weights file, or a training run directory';

/** `transferkit visualize kernels|activations|maximize|gradcam|summary`: pictures of what the network responds to. */
export function register(program: Command): void {
  const visualize = program.command('visualize').description('Look inside a model: kernels, feature maps, activation maximisation, Grad-CAM, summary');

  visualize
    .command('kernels')
    .description("Draw a conv layer's filters: RGB tiles for the first layer, per-input-channel grids deeper")
    .requiredOption('--weights <file|run-dir>', WEIGHTS_HELP)
    .option('--layer <name>', 'Conv2D layer', 'block1_conv1')
    .option('--filters <list>', 'filter indices, e.g. 0-15 (default: all for the first layer, 0-15 deeper)')
    .option('--channels <list>', 'input channels per filter for deeper layers (default 0-15)')
    .requiredOption('--out <file.png>', 'PNG to write')
    .action(async (raw: unknown, cmd: Command) => {
      const o = parseOrThrow(kernelsSchema, raw, 'visualize kernels options', { asFlags: true });
      await initBackendFromCli(cmd);
      await warnIfRandomInit(o.weights);
      await visualizeKernels(o);
      console.log(`wrote ${o.out}`);
    });

  visualize
    .command('activations')
    .description("Draw an image's feature maps at a layer, or (--kernel I) one filter's response to it")
    .argument('<IMAGE>', 'image file')
    .requiredOption('--weights <file|run-dir>', WEIGHTS_HELP)
    .requiredOption('--layer <name>', 'layer whose output to show, e.g. block3_conv1')
    .option('--channels <list>', 'channels to show (default 0-31)')
    .option('--scale <mode>', 'shared (compare strengths) | per-map (see structure)', 'per-map')
    .option('--kernel <index>', "show this filter's convolution with the layer's input instead of the grid")
    .option('--size <pixels>', 'input side for a weights file (a run uses its own)', '224')
    .requiredOption('--out <file.png>', 'PNG to write')
    .action(async (image: string, raw: unknown, cmd: Command) => {
      const o = parseOrThrow(activationsSchema, raw, 'visualize activations options', { asFlags: true });
      await initBackendFromCli(cmd);
      await warnIfRandomInit(o.weights);
      await visualizeActivations({ ...o, image });
      console.log(`wrote ${o.out}`);
    });

  visualize
    .command('maximize')
    .description('Gradient ascent from noise on each filter\'s mean activation: what each filter "likes"')
    .requiredOption('--weights <file|run-dir>', WEIGHTS_HELP)
    .requiredOption('--layer <name>', 'layer, e.g. block1_conv2')
    .option('--filters <list>', 'filter indices, one picture each', '0-15')
    .option('--steps <n>', 'gradient-ascent steps', '200')
    .option('--size <pixels>', 'picture side', '128')
    .option('--seed <n>', 'seed for the starting noise and jitter', '0')
    .requiredOption('--out <file.png>', 'PNG to write')
    .action(async (raw: unknown, cmd: Command) => {
      const o = parseOrThrow(maximizeSchema, raw, 'visualize maximize options', { asFlags: true });
      const backend = await initBackendFromCli(cmd);
      await warnIfRandomInit(o.weights);
      const every = Math.max(1, Math.round(o.steps / 10));
      const started = Date.now();
      const result = await visualizeMaximize({
        ...o,
        onStep: (step, means) => {
          if ((step + 1) % every !== 0 && step + 1 !== o.steps) return;
          const mean = means.reduce((a, b) => a + b, 0) / means.length;
          console.error(`step ${step + 1}/${o.steps}: mean activation ${mean.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(1)} s, ${backend.name})`);
        },
      });
      console.log(`wrote ${o.out} (${result.filters.length} filters of ${result.layer})`);
    });

  visualize
    .command('gradcam')
    .description('Grad-CAM heatmap over the image for a class of a run (RUN_DIR IMAGE) or ImageNet (--weights FILE IMAGE)')
    .argument('<INPUTS...>', 'RUN_DIR IMAGE, or IMAGE with --weights')
    .option('--weights <file|run-dir>', `${WEIGHTS_HELP} (with the top for ImageNet classes)`)
    .option('--class <index>', 'class index to explain')
    .option('--top', 'explain the top predicted class (the default)')
    .option('--layer <name>', 'conv layer (default: the last Conv2D, block5_conv3)')
    .option('--labels <file>', 'ImageNet class index JSON for names (default: the one `transferkit fetch-weights` downloads)')
    .requiredOption('--out <file.png>', 'PNG to write')
    .action(async (inputs: string[], raw: unknown, cmd: Command) => {
      const o = parseOrThrow(gradcamSchema, raw, 'visualize gradcam options', { asFlags: true });
      if (o.top && o.class !== undefined) throw new UsageError('--class and --top both given; pass one (the default is --top).');
      const [weights, image] = inputs.length === 2 ? inputs : [o.weights, inputs[0]];
      if (inputs.length > 2 || (inputs.length === 2 && o.weights !== undefined) || weights === undefined || image === undefined) {
        throw new UsageError('gradcam takes RUN_DIR IMAGE, or --weights FILE|RUN_DIR IMAGE.');
      }
      await initBackendFromCli(cmd);
      await warnIfRandomInit(weights);
      const result = await visualizeGradCam({ weights, image, out: o.out, classIndex: o.class, layer: o.layer, labels: o.labels });
      console.log(`${result.label}\nwrote ${o.out}`);
    });

  visualize
    .command('summary')
    .description("Keras-style summary of a run's stitched model, frozen vs trainable per layer")
    .argument('<RUN_DIR>', 'training run directory')
    .action(async (runDir: string, _raw: unknown, cmd: Command) => {
      await initBackendFromCli(cmd);
      const run = await loadRun(runDir);
      try {
        console.log(formatRunSummary(run));
      } finally {
        run.model.dispose();
      }
    });
}

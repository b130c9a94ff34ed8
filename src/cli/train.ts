import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { parseBackendPreference } from '../backend/index.ts';
import { addAugmentFlags, parseAugmentFlags } from '../data/augment-flags.ts';
import { UsageError, UserError } from '../errors.ts';
import { resumeTraining, train } from '../training/train.ts';
import { parseOrThrow } from '../util/validate.ts';
import { trainRenderer } from './render/train-events.ts';
import { trainOptionsSchema, type TrainOptions } from '../training/options.ts';
import type { z } from 'zod';
import { RESIZE_MODES } from '../data/decode.ts';

const num = (v: string): number => Number(v);
const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

type DefaultedOption = { [K in keyof typeof trainOptionsSchema.shape]: (typeof trainOptionsSchema.shape)[K] extends z.ZodDefault ? K : never }[keyof typeof trainOptionsSchema.shape];

/** " (default X)" for help text, read from options.ts so the help never disagrees with the schema. */
function defaultNote(option: DefaultedOption): string {
  const value = trainOptionsSchema.shape[option].def.defaultValue as unknown;
  return ` (default ${Array.isArray(value) ? value.join(',') : String(value)})`;
}

/** Flags named like their option (commander camel-cases them); defaults live in options.ts, not here. */
function addTrainFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--strategy <name>', 'freeze | slice | finetune | retrain | auto (default auto: the advisor measures the data)'))
    .option('--slice-at <layer>', `slice: last kept layer, block3_pool | block4_pool${defaultNote('sliceAt')}`)
    .option('--unfreeze-from <layer>', `finetune: first layer that trains after the warm-up${defaultNote('unfreezeFrom')}`)
    .option('--warmup-epochs <n>', 'finetune: head warm-up epochs (default half of --epochs)', num)
    .option('--finetune-optimizer <name>', `finetune: optimizer after the warm-up${defaultNote('finetuneOptimizer')}`)
    .option('--finetune-lr <lr>', `finetune: learning rate after the warm-up${defaultNote('finetuneLr')}`, num)
    .option('--momentum <m>', `SGD momentum${defaultNote('momentum')}`, num)
    .option('--init <how>', `retrain: pretrained | scratch${defaultNote('init')}`)
    .option('--head <kind>', `gap | flatten | vgg${defaultNote('head')}`)
    .option('--dense <units>', `hidden Dense units of the head, 0 = none${defaultNote('dense')}`, num)
    .option('--dropout <rate>', `dropout before predictions${defaultNote('dropout')}`, num)
    .option('--batchnorm', 'BatchNormalization after the hidden Dense')
    .option('--vgg-train <layers>', `vgg head: which of fc1,fc2,predictions train${defaultNote('vggTrain')}`, list)
    .option('--vgg-dropout <rate>', `vgg head: dropout between fc1/fc2/predictions${defaultNote('vggDropout')}`, num)
    .option('--epochs <n>', `epochs in total${defaultNote('epochs')}`, num)
    .option('--batch-size <n>', `batch size${defaultNote('batchSize')}`, num)
    .option('--lr <lr>', 'learning rate (default 1e-3 on features, 1e-4 for retrain)', num)
    .option('--optimizer <name>', `adam | sgd | rmsprop${defaultNote('optimizer')}`)
    .option('--class-weight <how>', 'none | auto (balanced, for imbalanced classes; default none)')
    .option('--seed <n>', `seed of init, split, shuffling, dropout and augmentation${defaultNote('seed')}`, num)
    .option('--out <dir>', 'run directory (default runs/<date>-<strategy>)')
    .option('--weights <file>', 'VGG16 Keras weights (default the official Keras file, downloaded once into ~/.cache/transferkit/models)')
    .option('--input-size <n>', `square input side, >= 32${defaultNote('inputSize')}`, num)
    .option('--resize <mode>', `${RESIZE_MODES.join(' | ')}: Keras load_img interpolations (Pillow, exact), or sharp squash/crop/pad${defaultNote('resize')}`)
    .option('--val-split <fraction>', `validation fraction when DATA_DIR has no validation/ folder${defaultNote('valSplit')}`, num)
    .option('--patience <n>', `early stopping patience on val_loss, 0 = off${defaultNote('patience')}`, num)
    .option('--reduce-lr-patience <n>', `reduce LR after n epochs without improvement, 0 = off${defaultNote('reduceLrPatience')}`, num)
    .option('--reduce-lr-factor <f>', `LR reduction factor${defaultNote('reduceLrFactor')}`, num)
    .option('--min-delta <d>', `smallest val_loss change counted as improvement${defaultNote('minDelta')}`, num)
    .option('--augment-copies <n>', `augmented copies cached per training image for feature strategies${defaultNote('augmentCopies')}`, num)
    .option('--cache <dir>', `feature cache directory${defaultNote('cache')}`)
    .option('--engine <name>', `feature extraction engine: auto | onnx | tfjs${defaultNote('engine')}`)
    .option('--precision <p>', `frozen features: auto (int8 on CPU when it matches fp32) | fp32 | int8${defaultNote('precision')}`)
    .option('--quiet', 'one line per epoch instead of a progress bar')
    .option('--overwrite', 'replace what --out already holds (a non-empty run directory is refused otherwise)')
    .option('--resume <run_dir>', 'continue a run that was interrupted or killed, from its last completed epoch (DATA_DIR and options come from the run)')
    .option('--config <file>', 'JSON file with any of these options (camelCase keys); flags override it');
}

const AUGMENT_KEYS = new Set(['augment', 'rotationRange', 'widthShiftRange', 'heightShiftRange', 'shearRange', 'zoomRange', 'horizontalFlip', 'verticalFlip', 'brightnessRange', 'channelShiftRange', 'hueRange', 'saturationRange', 'fillMode', 'cval']);
const TRAIN_KEYS = new Set(Object.keys(trainOptionsSchema.shape));

async function readConfig(path: string): Promise<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`--config ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message}; expected a JSON object of train options.`);
  }
}

/** Train options and how to show the run: `--config`, overridden by flags actually given on the command line. */
export async function trainOptionsFromCli(cmd: Command): Promise<{ options: TrainOptions; quiet: boolean }> {
  const flags = cmd.opts<Record<string, unknown>>();
  const given = (key: string): boolean => cmd.getOptionValueSource(key) === 'cli';
  const fromFlags: Record<string, unknown> = {};
  for (const key of Object.keys(flags)) if (given(key) && TRAIN_KEYS.has(key)) fromFlags[key] = flags[key];
  if ([...AUGMENT_KEYS].some(given)) fromFlags.augment = parseAugmentFlags(flags);
  const config: Record<string, unknown> = typeof flags.config === 'string' ? await readConfig(flags.config) : {};
  // `quiet` is how the run is shown, not a train option; config files from before that may hold it.
  const quiet = flags.quiet === true || config.quiet === true;
  delete config.quiet;
  const options = { ...config, ...fromFlags } as TrainOptions;
  // Validated here, where the user typed flags, so errors name them (--batch-size), not the option keys.
  parseOrThrow(trainOptionsSchema, options, 'train options', { asFlags: true });
  return { options, quiet };
}

/**
 * Parse `transferkit train` arguments (after the command name) exactly as the command does, without
 * running it: the wizard turns its answers into options this way, so both always agree.
 */
export async function parseTrainArgs(args: readonly string[]): Promise<{ dataDir: string; options: TrainOptions; quiet: boolean }> {
  const cmd = addAugmentFlags(addTrainFlags(new Command('train').argument('<DATA_DIR>')))
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  try {
    cmd.parse([...args], { from: 'user' });
  } catch (err) {
    throw new UserError(`transferkit train ${args.join(' ')}: ${(err as Error).message}`);
  }
  return { dataDir: cmd.args[0]!, ...(await trainOptionsFromCli(cmd)) };
}

/** `transferkit train DATA_DIR`: the main job. */
export function register(program: Command): void {
  const cmd = program
    .command('train')
    .argument('[DATA_DIR]', 'image folder: one sub-folder per class, optionally inside train/ and validation/')
    .description('Train a classifier on your images with VGG16 transfer learning and write a run directory')
    .option('--json', 'print the run summary (run directory, plan, history, best epoch) as JSON on stdout');
  addAugmentFlags(addTrainFlags(cmd)).action(async (dataDir: string | undefined, _opts: unknown, self: Command) => {
    const flags = self.opts<{ resume?: string; overwrite?: boolean; quiet?: boolean }>();
    // DATA_DIR is optional only for --resume: report it missing exactly as commander does for required arguments.
    if (flags.resume === undefined && dataDir === undefined) self.error("error: missing required argument 'DATA_DIR'", { code: 'commander.missingArgument' });
    if (flags.resume !== undefined && dataDir !== undefined) throw new UsageError(`train --resume ${flags.resume} takes no DATA_DIR: the run continues on the folder it started with.`);
    const parsed = flags.resume === undefined ? await trainOptionsFromCli(self) : undefined;
    const globals = self.optsWithGlobals() as { backend?: string };
    const controller = new AbortController();
    const renderer = trainRenderer(process.stderr, { quiet: parsed?.quiet ?? flags.quiet, signal: controller.signal });
    const onSigint = (): void => {
      // Aborting first stops the progress bars (cursor and line wrap restored) before this line prints.
      controller.abort();
      process.stderr.write('stopping after the current batch (the best checkpoint is kept)...\n');
    };
    process.once('SIGINT', onSigint);
    try {
      const hooks = { backend: globals.backend === undefined ? undefined : parseBackendPreference(globals.backend, '--backend'), signal: controller.signal, onEvent: renderer.onEvent };
      const result = parsed === undefined ? await resumeTraining(flags.resume!, hooks) : await train(dataDir!, parsed.options, { ...hooks, overwrite: flags.overwrite });
      const best = result.history.find((h) => h.epoch === result.bestEpoch);
      if (self.opts<{ json?: boolean }>().json) console.log(JSON.stringify({ ...result, best }, null, 2));
      else {
        console.log(`strategy ${result.plan.strategy}; best epoch ${result.bestEpoch + 1} (val_loss ${best?.val_loss.toFixed(4) ?? '-'}, val_acc ${best?.val_acc.toFixed(4) ?? '-'})`);
        console.log(`features: ${result.extraction.precision.precision}, ${result.extraction.computed} images through the prefix in ${result.extraction.seconds.toFixed(1)} s`);
        console.log(`run directory: ${result.runDir}${result.interrupted ? ' (interrupted: marked so in config.json and report.html)' : ''}`);
      }
      if (result.interrupted) process.exitCode = 130;
    } finally {
      renderer.close();
      process.off('SIGINT', onSigint);
    }
  });
}

import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { UsageError, UserError } from '../errors.ts';
import { resumeTraining, train } from '../training/train.ts';
import { parseOrThrow } from '../util/validate.ts';
import { backendFromCli } from './backend.ts';
import { addAugmentFlags, parseAugmentFlags } from './flags/augment.ts';
import { defaultNote, sharedOption } from './flags/shared.ts';
import { trainRenderer } from './render/train-events.ts';
import { trainOptionsSchema, type TrainOptions } from '../training/options.ts';
import { RESIZE_MODES } from '../data/decode.ts';

const num = (v: string): number => Number(v);
const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

/** " (default X)" of a train option, read from its schema so the help never disagrees with it. */
const note = (option: keyof typeof trainOptionsSchema.shape): string => defaultNote(trainOptionsSchema.shape[option]);

/** Flags named like their option (commander camel-cases them); defaults live in the schemas (training/options.ts, options/), not here. */
function addTrainFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--strategy <name>', `freeze | slice | finetune | retrain | auto (the advisor measures the data)${note('strategy')}`))
    .option('--slice-at <layer>', `slice: last kept layer, block3_pool | block4_pool${note('sliceAt')}`)
    .option('--unfreeze-from <layer>', `finetune: first layer that trains after the warm-up${note('unfreezeFrom')}`)
    .option('--warmup-epochs <n>', 'finetune: head warm-up epochs (default half of --epochs)', num)
    .option('--finetune-optimizer <name>', `finetune: optimizer after the warm-up${note('finetuneOptimizer')}`)
    .option('--finetune-lr <lr>', `finetune: learning rate after the warm-up${note('finetuneLr')}`, num)
    .option('--momentum <m>', `SGD momentum${note('momentum')}`, num)
    .option('--init <how>', `retrain: pretrained | scratch${note('init')}`)
    .option('--head <kind>', `gap | flatten | vgg${note('head')}`)
    .option('--dense <units>', `hidden Dense units of the head, 0 = none${note('dense')}`, num)
    .option('--dropout <rate>', `dropout before predictions${note('dropout')}`, num)
    .option('--batchnorm', 'BatchNormalization after the hidden Dense')
    .option('--vgg-train <layers>', `vgg head: which of fc1,fc2,predictions train${note('vggTrain')}`, list)
    .option('--vgg-dropout <rate>', `vgg head: dropout between fc1/fc2/predictions${note('vggDropout')}`, num)
    .option('--epochs <n>', `epochs in total${note('epochs')}`, num)
    .option('--batch-size <n>', `batch size${note('batchSize')}`, num)
    .option('--lr <lr>', 'learning rate (default 1e-3 on features, 1e-4 for retrain)', num)
    .option('--optimizer <name>', `adam | sgd | rmsprop${note('optimizer')}`)
    .option('--class-weight <how>', `none | auto (balanced, for imbalanced classes)${note('classWeight')}`)
    .addOption(sharedOption('seed', 'seed of init, split, shuffling, dropout and augmentation'))
    .option('--out <dir>', 'run directory (default runs/<date>-<strategy>)')
    .addOption(sharedOption('weights', 'VGG16 Keras weights (default the official Keras file, downloaded once into ~/.cache/transferkit/models)'))
    .addOption(sharedOption('inputSize', 'square input side, >= 32'))
    .addOption(sharedOption('resize', `${RESIZE_MODES.join(' | ')}: Keras load_img interpolations (Pillow, exact), or sharp squash/crop/pad`))
    .addOption(sharedOption('valSplit', 'validation fraction when DATA_DIR has no validation/ folder'))
    .option('--patience <n>', `early stopping patience on val_loss, 0 = off${note('patience')}`, num)
    .option('--reduce-lr-patience <n>', `reduce LR after n epochs without improvement, 0 = off${note('reduceLrPatience')}`, num)
    .option('--reduce-lr-factor <f>', `LR reduction factor${note('reduceLrFactor')}`, num)
    .option('--min-delta <d>', `smallest val_loss change counted as improvement${note('minDelta')}`, num)
    .addOption(sharedOption('augmentCopies', 'augmented copies cached per training image for feature strategies'))
    .addOption(sharedOption('cache', 'feature cache directory'))
    .addOption(sharedOption('engine', 'feature extraction engine: auto | onnx | tfjs'))
    .addOption(sharedOption('precision', 'frozen features: auto (int8 on CPU when it matches fp32) | fp32 | int8'))
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
    throw new UsageError(`transferkit train ${args.join(' ')}: ${(err as Error).message}`);
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
    const backend = backendFromCli(self);
    const controller = new AbortController();
    const renderer = trainRenderer(process.stderr, { quiet: parsed?.quiet ?? flags.quiet, signal: controller.signal });
    const onSigint = (): void => {
      // Aborting first stops the progress bars (cursor and line wrap restored) before this line prints.
      controller.abort();
      process.stderr.write('stopping after the current batch (the best checkpoint is kept)...\n');
    };
    process.once('SIGINT', onSigint);
    try {
      const hooks = { backend, signal: controller.signal, onEvent: renderer.onEvent };
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

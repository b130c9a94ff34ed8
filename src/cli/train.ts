import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { parseBackendPreference } from '../backend/index.ts';
import { addAugmentFlags, parseAugmentFlags } from '../data/augment-flags.ts';
import { UserError } from '../errors.ts';
import { train } from '../training/train.ts';
import { trainOptionsSchema, type TrainOptions } from '../training/options.ts';

const num = (v: string): number => Number(v);
const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

/** Flags named like their option (commander camel-cases them); defaults live in options.ts, not here. */
function addTrainFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--strategy <name>', 'freeze | slice | finetune | retrain | auto (default auto: the advisor measures the data)'))
    .option('--slice-at <layer>', 'slice: last kept layer, block3_pool | block4_pool (default block4_pool)')
    .option('--unfreeze-from <layer>', 'finetune: first layer that trains after the warm-up (default block5_conv1)')
    .option('--warmup-epochs <n>', 'finetune: head warm-up epochs (default half of --epochs)', num)
    .option('--finetune-optimizer <name>', 'finetune: optimizer after the warm-up (default sgd)')
    .option('--finetune-lr <lr>', 'finetune: learning rate after the warm-up (default 1e-4)', num)
    .option('--momentum <m>', 'SGD momentum (default 0.9)', num)
    .option('--init <how>', 'retrain: pretrained | scratch (default pretrained)')
    .option('--head <kind>', 'gap | flatten | vgg (default gap)')
    .option('--dense <units>', 'hidden Dense units of the head, 0 = none (default 256)', num)
    .option('--dropout <rate>', 'dropout before predictions (default 0.5)', num)
    .option('--batchnorm', 'BatchNormalization after the hidden Dense')
    .option('--vgg-train <layers>', 'vgg head: which of fc1,fc2,predictions train (default fc2,predictions)', list)
    .option('--vgg-dropout <rate>', 'vgg head: dropout between fc1/fc2/predictions (default 0.5)', num)
    .option('--epochs <n>', 'epochs in total (default 10)', num)
    .option('--batch-size <n>', 'batch size (default 32)', num)
    .option('--lr <lr>', 'learning rate (default 1e-3 on features, 1e-4 for retrain)', num)
    .option('--optimizer <name>', 'adam | sgd | rmsprop (default adam)')
    .option('--class-weight <how>', 'none | auto (balanced, for imbalanced classes; default none)')
    .option('--seed <n>', 'seed of init, split, shuffling, dropout and augmentation (default 1337)', num)
    .option('--out <dir>', 'run directory (default runs/<date>-<strategy>)')
    .option('--weights <file>', 'VGG16 Keras weights (default models/vgg16_weights_tf_dim_ordering_tf_kernels[_notop].h5)')
    .option('--input-size <n>', 'square input side, >= 32 (default 224)', num)
    .option('--resize <mode>', 'squash | crop | pad (default squash)')
    .option('--val-split <fraction>', 'validation fraction when DATA_DIR has no validation/ folder (default 0.2)', num)
    .option('--patience <n>', 'early stopping patience on val_loss, 0 = off (default 5)', num)
    .option('--reduce-lr-patience <n>', 'reduce LR after n epochs without improvement, 0 = off (default 3)', num)
    .option('--reduce-lr-factor <f>', 'LR reduction factor (default 0.2)', num)
    .option('--min-delta <d>', 'smallest val_loss change counted as improvement (default 0)', num)
    .option('--augment-copies <n>', 'augmented copies cached per training image for feature strategies (default 1)', num)
    .option('--cache <dir>', 'feature cache directory (default .cache/features)')
    .option('--engine <name>', 'feature extraction engine: auto | onnx | tfjs (default auto)')
    .option('--quiet', 'one line per epoch instead of a progress bar')
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

/** Options from `--config`, overridden by flags actually given on the command line. */
export async function trainOptionsFromCli(cmd: Command): Promise<TrainOptions> {
  const flags = cmd.opts<Record<string, unknown>>();
  const given = (key: string): boolean => cmd.getOptionValueSource(key) === 'cli';
  const fromFlags: Record<string, unknown> = {};
  for (const key of Object.keys(flags)) if (given(key) && TRAIN_KEYS.has(key)) fromFlags[key] = flags[key];
  if ([...AUGMENT_KEYS].some(given)) fromFlags.augment = parseAugmentFlags(flags);
  const config = typeof flags.config === 'string' ? await readConfig(flags.config) : {};
  return { ...config, ...fromFlags } as TrainOptions;
}

/**
 * Parse `transferkit train` arguments (after the command name) exactly as the command does, without
 * running it: the wizard turns its answers into options this way, so both always agree.
 */
export async function parseTrainArgs(args: readonly string[]): Promise<{ dataDir: string; options: TrainOptions }> {
  const cmd = addAugmentFlags(addTrainFlags(new Command('train').argument('<DATA_DIR>')))
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  try {
    cmd.parse([...args], { from: 'user' });
  } catch (err) {
    throw new UserError(`transferkit train ${args.join(' ')}: ${(err as Error).message}`);
  }
  return { dataDir: cmd.args[0]!, options: await trainOptionsFromCli(cmd) };
}

/** `transferkit train DATA_DIR`: the main job. */
export function register(program: Command): void {
  const cmd = program
    .command('train')
    .argument('<DATA_DIR>', 'image folder: one sub-folder per class, optionally inside train/ and validation/')
    .description('Train a classifier on your images with VGG16 transfer learning and write a run directory');
  addAugmentFlags(addTrainFlags(cmd)).action(async (dataDir: string, _opts: unknown, self: Command) => {
    const options = await trainOptionsFromCli(self);
    const globals = self.optsWithGlobals() as { backend?: string };
    const controller = new AbortController();
    const onSigint = (): void => {
      process.stderr.write('\nstopping after the current batch (the best checkpoint is kept)...\n');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    try {
      const result = await train(dataDir, options, {
        backend: globals.backend === undefined ? undefined : parseBackendPreference(globals.backend, '--backend'),
        signal: controller.signal,
      });
      const best = result.history.find((h) => h.epoch === result.bestEpoch);
      console.log(`strategy ${result.plan.strategy}; best epoch ${result.bestEpoch + 1} (val_loss ${best?.val_loss.toFixed(4) ?? '-'}, val_acc ${best?.val_acc.toFixed(4) ?? '-'})`);
      console.log(`run directory: ${result.runDir}`);
      if (result.interrupted) process.exitCode = 130;
    } finally {
      process.off('SIGINT', onSigint);
    }
  });
}

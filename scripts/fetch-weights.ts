/**
 * `npm run fetch-weights -- [--notop | --top | --all] [--dest DIR] [--base-url URL]`: download the
 * official Keras VGG16 weights and the ImageNet class index into models/ (a thin shell over fetchWeights).
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { describeError } from '../src/errors.ts';
import { MODELS_DIR, fetchWeights, type WeightsSelection } from '../src/models/fetch.ts';
import { downloadProgress } from '../src/util/download-progress.ts';
import { parseOrThrow } from '../src/util/validate.ts';

const argsSchema = z.object({
  top: z.boolean().optional(),
  notop: z.boolean().optional(),
  all: z.boolean().optional(),
  dest: z.string().min(1).optional(),
  baseUrl: z.url({ protocol: /^https?$/, error: '--base-url must be an http(s) URL' }).optional(),
});

const program = new Command('fetch-weights')
  .description('Download the official Keras VGG16 ImageNet weights and imagenet_class_index.json (resumable, md5-checked)')
  .addOption(new Option('--notop', 'convolutional base only, for transfer learning (default)').conflicts(['top', 'all']))
  .addOption(new Option('--top', 'weights with the ImageNet classifier, for `transferkit predict`').conflicts(['notop', 'all']))
  .addOption(new Option('--all', 'both weight files').conflicts(['top', 'notop']))
  .option('--dest <dir>', 'folder to put the files in', MODELS_DIR)
  .option('--base-url <url>', 'mirror serving the files by name (env TRANSFERKIT_WEIGHTS_BASE_URL)')
  .action(async (raw: unknown) => {
    const args = parseOrThrow(argsSchema, raw, 'fetch-weights options', { asFlags: true });
    const which: WeightsSelection = args.all ? 'all' : args.top ? 'top' : 'notop';
    const fetched = await fetchWeights({ which, dest: args.dest, baseUrl: args.baseUrl, onEvent: downloadProgress() });
    console.error(`done: ${fetched.map((f) => `${f.name} (${f.status})`).join(', ')}`);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`fetch-weights: ${describeError(err)}`);
  process.exitCode = 1;
}

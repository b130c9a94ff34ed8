import { Option, type Command } from 'commander';
import { z } from 'zod';
import { fetchWeights, type WeightsSelection } from '../models/fetch.ts';
import { downloadProgress } from './render/download-progress.ts';
import { modelsDir } from '../util/user-dirs.ts';
import { parseOrThrow } from '../util/validate.ts';

const optionsSchema = z.object({
  top: z.boolean().optional(),
  notop: z.boolean().optional(),
  all: z.boolean().optional(),
  dest: z.string().min(1).optional(),
  baseUrl: z.url({ protocol: /^https?$/, error: '--base-url must be an http(s) URL' }).optional(),
});

/** `transferkit fetch-weights`: the official Keras VGG16 weights and ImageNet class index (a thin shell over fetchWeights). */
export function register(program: Command): void {
  program
    .command('fetch-weights')
    .description('Download the official Keras VGG16 ImageNet weights and imagenet_class_index.json (resumable, md5-checked)')
    .addOption(new Option('--notop', 'convolutional base only, for transfer learning (default)').conflicts(['top', 'all']))
    .addOption(new Option('--top', 'weights with the ImageNet classifier, for `transferkit predict`').conflicts(['notop', 'all']))
    .addOption(new Option('--all', 'both weight files').conflicts(['top', 'notop']))
    .option('--dest <dir>', `folder to put the files in (default ${modelsDir()})`)
    .option('--base-url <url>', 'mirror serving the files by name (env TRANSFERKIT_WEIGHTS_BASE_URL)')
    .action(async (raw: unknown) => {
      const o = parseOrThrow(optionsSchema, raw, 'fetch-weights options', { asFlags: true });
      const which: WeightsSelection = o.all ? 'all' : o.top ? 'top' : 'notop';
      const fetched = await fetchWeights({ which, dest: o.dest, baseUrl: o.baseUrl, onEvent: downloadProgress() });
      console.error(`done: ${fetched.map((f) => `${f.name} (${f.status})`).join(', ')}`);
    });
}

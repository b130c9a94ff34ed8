import type { Command } from 'commander';
import { z } from 'zod';
import { setupTensorflow, type SetupEvent } from '../backend/tensorflow/setup.ts';
import { DEFAULT_TENSORFLOW_VERSION } from '../backend/tensorflow/variants.ts';
import { parseOrThrow } from '../util/validate.ts';

const optionsSchema = z.object({
  gpu: z.boolean().default(false),
  python: z.string().min(1).default('python3'),
  tensorflow: z.string().regex(/^\d+\.\d+\.\d+$/, 'a TensorFlow release such as 2.20.0').default(DEFAULT_TENSORFLOW_VERSION),
  dir: z.string().min(1).optional(),
  verbose: z.boolean().default(false),
});

/** One line per step change; the tools' own output only with --verbose (a failure repeats its last lines). */
function render(verbose: boolean): (event: SetupEvent) => void {
  return (event) => {
    if (event.type === 'output') {
      if (verbose) console.log(`    ${event.line}`);
      return;
    }
    const mark = { running: '..', done: 'ok', unchanged: '==' }[event.status];
    console.log(`[${mark}] ${event.step.padEnd(13)} ${event.detail}`);
  };
}

/** `transferkit setup tensorflow`: build the TensorFlow backend from a pip wheel. */
export function register(program: Command): void {
  const setup = program.command('setup').description('Set up optional parts (the native TensorFlow backend)');
  setup
    .command('tensorflow')
    .description('Build the tensorflow (or --gpu: tensorflow-gpu) backend from a pip TensorFlow wheel in a private venv')
    .option('--gpu', 'build tensorflow-gpu from tensorflow[and-cuda] (CUDA 12 and cuDNN come as pip packages; runs on CPU without a GPU)')
    .option('--python <path>', 'Python used to create the venv', 'python3')
    .option('--tensorflow <version>', 'TensorFlow version to pip-install', DEFAULT_TENSORFLOW_VERSION)
    .option('--dir <dir>', 'venv and build folder (default: <cache>/transferkit/tensorflow/cpu|gpu; TRANSFERKIT_HOME, XDG_CACHE_HOME)')
    .option('--verbose', "show pip's, npm's and node-gyp's output")
    .action(async (raw: unknown) => {
      const o = parseOrThrow(optionsSchema, raw, 'setup tensorflow options', { asFlags: true });
      const result = await setupTensorflow({ gpu: o.gpu, python: o.python, tensorflow: o.tensorflow, dir: o.dir, onEvent: render(o.verbose) });
      console.log(result.changed
        ? `Backend "${result.backend}" ready: transferkit picks it automatically (see \`transferkit doctor\`).`
        : `Backend "${result.backend}" was already set up; nothing changed.`);
    });
}

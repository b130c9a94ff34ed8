import { Command, CommanderError } from 'commander';
import { InterruptedError, UsageError, describeError } from '../errors.ts';
import { TRANSFERKIT_VERSION } from '../version.ts';

/** Each command lives in its own file and adds itself to the program. */
type Register = (program: Command) => void;

/**
 * Command name -> its module, in the order `--help` lists them. Only the module of the command being
 * run is imported: the modules pull in tfjs, sharp, vega, onnxruntime, and a CLI start should not pay
 * for all of them.
 */
const commands: Record<string, () => Promise<{ register: Register }>> = {
  train: () => import('./train.ts'),
  wizard: () => import('./wizard.ts'),
  advise: () => import('./advise.ts'),
  evaluate: () => import('./evaluate.ts'),
  predict: () => import('./predict.ts'),
  export: () => import('./export.ts'),
  check: () => import('./check.ts'),
  'augment-preview': () => import('./augment-preview.ts'),
  extract: () => import('./extract.ts'),
  worker: () => import('./worker.ts'),
  queue: () => import('./queue.ts'),
  visualize: () => import('./visualize.ts'),
  summary: () => import('./summary.ts'),
  inspect: () => import('./inspect.ts'),
  'fetch-weights': () => import('./fetch-weights.ts'),
  'init-weights': () => import('./init-weights.ts'),
  doctor: () => import('./doctor.ts'),
  setup: () => import('./setup.ts'),
};

/** The command named on the command line: the first word that is neither an option nor its value. */
function requestedCommand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--backend') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** Exit status for a wrong invocation (unknown command or option, missing or invalid value), as POSIX tools use. */
const USAGE_EXIT = 2;

const program = new Command('transferkit')
  .description('Transfer learning with pretrained VGG16 on your own image folders')
  .version(TRANSFERKIT_VERSION, '-V, --version', 'print the version')
  .option('--backend <name>', 'tfjs backend: tensorflow-gpu | tensorflow | wasm | cpu (env TRANSFERKIT_BACKEND)')
  .option('--debug', 'print the stack trace of an error (env TRANSFERKIT_DEBUG=1)')
  .helpOption('-h, --help', 'show this help')
  .helpCommand('help [command]', 'Show the help of a command')
  .showHelpAfterError('(add --help for usage)')
  // Commander would exit itself (status 1); throwing lets usage errors share one exit status.
  .exitOverride();

try {
  const name = requestedCommand(process.argv.slice(2));
  const modules = name !== undefined && name in commands ? [commands[name]!] : Object.values(commands);
  for (const { register } of await Promise.all(modules.map((load) => load()))) register(program);
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed the message (or the help, or the version) already.
    process.exitCode = err.exitCode === 0 ? 0 : USAGE_EXIT;
  } else {
    // One line, no stack: users need the fix, not our internals (--debug shows the stack).
    console.error(`transferkit: ${describeError(err)}`);
    if (process.argv.includes('--debug') || process.env.TRANSFERKIT_DEBUG) console.error(err);
    // 130 after Ctrl-C, as shells report a process ended by SIGINT.
    process.exitCode = err instanceof UsageError ? USAGE_EXIT : err instanceof InterruptedError ? 130 : 1;
  }
}

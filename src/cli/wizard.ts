import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { backendFromCli } from './backend.ts';
import { isPromptExit } from './wizard/io.ts';
import { runWizard } from './wizard/run-wizard.ts';

/**
 * `transferkit wizard`: the interactive way to `train`. Ctrl-C at a question quits with nothing
 * written (exit 130); Ctrl-C while the advisor measures, features are extracted or training runs
 * stops within one batch and ends the wizard (exit 130), keeping the best checkpoint if there is one.
 */
export function register(program: Command): void {
  program
    .command('wizard')
    .description('Answer a few questions (explained as you go) to train, evaluate and report on a model; prints the equivalent train command')
    .action(async (_opts: unknown, self: Command) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        throw new UserError('wizard needs an interactive terminal; without one, use the flags: transferkit train DATA_DIR --strategy ... (see transferkit train --help).');
      }
      const backend = backendFromCli(self);
      const controller = new AbortController();
      const onSigint = (): void => {
        // Aborting first stops the progress bars (cursor and line wrap restored) before this line prints.
        controller.abort();
        process.stderr.write('stopping after the current batch...\n');
      };
      try {
        // Prompts read Ctrl-C as a key (raw mode); this handler only sees it while training runs.
        process.on('SIGINT', onSigint);
        const result = await runWizard({ streams: { input: process.stdin, output: process.stdout }, backend, signal: controller.signal });
        if (result.status === 'done' && result.train.interrupted) process.exitCode = 130;
      } catch (err) {
        if (!isPromptExit(err)) throw err;
        process.stderr.write('\nwizard cancelled; nothing was written to a run directory.\n');
        process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

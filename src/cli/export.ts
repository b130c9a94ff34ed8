import type { Command } from 'commander';
import { z } from 'zod';
import { initBackendFromCli } from './backend.ts';
import { EXPORT_FORMATS, exportRun } from '../export/export-run.ts';
import { parseOrThrow } from '../util/validate.ts';
import { warnIfRandomInit } from './warnings.ts';

const optionsSchema = z.object({
  format: z.enum(EXPORT_FORMATS),
  out: z.string().min(1).optional(),
});

/** `transferkit export RUN_DIR --format ...`: the trained model for use outside transferkit. */
export function register(program: Command): void {
  program
    .command('export')
    .description('Export a run\'s model as a Keras .h5, a tfjs model.json folder or ONNX, with a transferkit.json (classes, preprocessing) beside it')
    .argument('<RUN_DIR>', 'run directory written by `transferkit train`')
    .requiredOption('--format <format>', EXPORT_FORMATS.join(' | '))
    .option('--out <dir>', 'output folder, replaced atomically (default RUN_DIR/export/FORMAT)')
    .action(async (runDir: string, raw: unknown, cmd: Command) => {
      const o = parseOrThrow(optionsSchema, raw, 'export options', { asFlags: true });
      await initBackendFromCli(cmd);
      await warnIfRandomInit(runDir);
      const result = await exportRun(runDir, o.format, { out: o.out });
      if (result.unfinished) console.error(`transferkit: note: ${result.unfinished}`);
      console.log(`exported ${result.format} to ${result.dir}`);
      for (const f of result.files) console.log(`  ${f}`);
    });
}

import { Option } from 'commander';
import type { Command } from 'commander';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import type { ScanOptions } from './scan.ts';

/** Add the dataset-split flags (`--val-split`, `--seed`) shared by every command that reads a data folder. */
export function addScanFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--val-split <fraction>', 'fraction of each class held out for validation when DATA_DIR has no validation/ folder').default('0.2'))
    .addOption(new Option('--seed <n>', 'seed of the split (and of augmentation)').default('0'));
}

const scanFlagsSchema = z.object({
  valSplit: z.coerce.number().min(0).lt(1),
  seed: z.coerce.number().int(),
});

/** Parse the flags `addScanFlags` added; throws UserError naming the bad flag. */
export function parseScanFlags(flags: Record<string, unknown>): ScanOptions & { seed: number } {
  const parsed = scanFlagsSchema.safeParse(flags);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = issue.path[0] === 'valSplit' ? '--val-split' : '--seed';
    throw new UserError(`${flag}: ${issue.message} (got ${String(flags[String(issue.path[0])])})`);
  }
  return parsed.data;
}

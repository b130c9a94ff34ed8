import { Option } from 'commander';
import type { Command } from 'commander';
import { z } from 'zod';
import { parseOrThrow } from '../util/validate.ts';
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
  return parseOrThrow(scanFlagsSchema, flags, 'scan options', { asFlags: true });
}

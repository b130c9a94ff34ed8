import type { Command } from 'commander';
import { z } from 'zod';
import type { ScanOptions } from '../../data/scan.ts';
import { pickOptions } from '../../options/pieces.ts';
import { parseOrThrow } from '../../util/validate.ts';
import { sharedOption } from './shared.ts';

/** Add the dataset-split flags (`--val-split`, `--seed`) shared by every command that reads a data folder. */
export function addScanFlags(cmd: Command): Command {
  return cmd
    .addOption(sharedOption('valSplit', 'fraction of each class held out for validation when DATA_DIR has no validation/ folder'))
    .addOption(sharedOption('seed', 'seed of the split (and of augmentation)'));
}

const scanFlagsSchema = z.object(pickOptions('valSplit', 'seed'));

/** Parse the flags `addScanFlags` added; throws a UsageError naming the bad flag. */
export function parseScanFlags(flags: Record<string, unknown>): ScanOptions {
  return parseOrThrow(scanFlagsSchema, { valSplit: flags.valSplit, seed: flags.seed }, 'scan options', { asFlags: true });
}

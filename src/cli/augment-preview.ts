import type { Command } from 'commander';
import { z } from 'zod';
import { addAugmentFlags, parseAugmentFlags } from './flags/augment.ts';
import { renderAugmentPreview } from '../data/preview.ts';
import { addScanFlags, parseScanFlags } from './flags/scan.ts';
import { scanDataset } from '../data/scan.ts';
import { parseOrThrow } from '../util/validate.ts';
import { writeFileAtomic } from '../util/atomic.ts';

const previewFlags = z.object({
  out: z.string().min(1),
  n: z.coerce.number().int().positive().max(256),
  variants: z.coerce.number().int().positive().max(16),
  tile: z.coerce.number().int().min(16).max(1024),
});

/** `transferkit augment-preview DATA_DIR --out preview.png`: see what augmentation settings do. */
export function register(program: Command): void {
  const cmd = program
    .command('augment-preview')
    .description('Write a PNG grid of training images (left) beside augmented variants (right)')
    .argument('<DATA_DIR>', 'image folder (as for check / train)')
    .requiredOption('--out <file.png>', 'PNG to write')
    .option('--n <count>', 'images (rows)', '16')
    .option('--variants <count>', 'augmented variants per image', '4')
    .option('--tile <pixels>', 'tile size', '160');
  addAugmentFlags(addScanFlags(cmd)).action(async (dataDir: string, flags: Record<string, unknown>) => {
    const preview = parseOrThrow(previewFlags, flags, 'augment-preview options', { asFlags: true });
    const scan = parseScanFlags(flags);
    const augment = parseAugmentFlags({ ...flags, augment: flags.augment ?? 'standard' });
    const dataset = await scanDataset(dataDir, { ...scan, hash: true });
    const png = await renderAugmentPreview(dataset, augment, { ...preview, seed: scan.seed });
    await writeFileAtomic(preview.out, png);
    console.log(`wrote ${preview.out}`);
  });
}

import type { Command } from 'commander';
import { checkDataset, formatCheckReport } from '../data/check.ts';
import { addScanFlags, parseScanFlags } from './flags/scan.ts';

/** `transferkit check DATA_DIR [--json]`: what training would see in a folder, before training. */
export function register(program: Command): void {
  const cmd = program
    .command('check')
    .description('Scan an image folder: counts per split and class, imbalance, sizes, formats, duplicates, unreadable files')
    .argument('<DATA_DIR>', 'folder with one sub-folder per class, or train/ + validation/ (+ test/)')
    .option('--json', 'print the report as JSON');
  addScanFlags(cmd).action(async (dataDir: string, flags: Record<string, unknown>) => {
    const report = await checkDataset(dataDir, parseScanFlags(flags));
    const { dataset: _dataset, ...summary } = report;
    console.log(flags.json ? JSON.stringify(summary, (_k, v: unknown) => (v === Infinity ? null : v), 2) : formatCheckReport(report));
    // Unreadable files are skipped, not fatal: fail only when nothing trainable is left.
    if (!report.usable) process.exitCode = 1;
  });
}

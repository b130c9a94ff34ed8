/**
 * `npm run cache-bottlenecks -- DATA_DIR... --weights FILE [--cuts block3_pool,block4_pool,block5_pool]
 *   [--input-size 224] [--cache DIR] [--engine auto|onnx|tfjs] [--precision auto|fp32|int8] [--workers N] [--batch-size N]
 *   [--export npy|h5 --out DIR]`
 * Fills the feature cache for several datasets and cut points in one go (one forward pass per image
 * writes every cut), and optionally exports
 * each (dataset, cut) for Python users to OUT/<dataset>/<cut>/ (.npy + classes.json, or features.h5).
 */
import { Command, Option } from 'commander';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { EXTRACT_DEFAULTS, extractFeatures, type ExtractItem } from '../src/cache/extract-features.ts';
import { exportFeatures } from '../src/cache/export-features.ts';
import { ExtractProgressRenderer } from '../src/cli/render/extract-progress.ts';
import { splitNames } from '../src/data/dataset.ts';
import { scanDataset, withoutPaths } from '../src/data/scan.ts';
import { describeUnreadable } from '../src/data/unreadable.ts';
import { describeError, UserError } from '../src/errors.ts';
import { addScanFlags, parseScanFlags } from '../src/cli/flags/scan.ts';
import { sharedOption } from '../src/cli/flags/shared.ts';
import { cutSchema, pickOptions } from '../src/options/pieces.ts';
import { parseOrThrow } from '../src/util/validate.ts';

const schema = z.object({
  weights: z.string().min(1),
  cuts: z.string().transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean)).pipe(z.array(cutSchema.unwrap()).min(1)),
  ...pickOptions('inputSize', 'cache', 'engine', 'precision'),
  workers: z.coerce.number().int().min(1),
  batchSize: z.coerce.number().int().min(1),
  export: z.enum(['npy', 'h5']).optional(),
  out: z.string().optional(),
});

const program = addScanFlags(new Command('cache-bottlenecks'))
  .argument('<data-dirs...>', 'image folders (one sub-folder per class, optionally split)')
  .requiredOption('--weights <file>', 'VGG16 Keras weights')
  .option('--cuts <layers>', 'comma-separated cut layers', EXTRACT_DEFAULTS.cut)
  .addOption(sharedOption('inputSize', 'square input side'))
  .addOption(sharedOption('cache', 'feature cache directory'))
  .addOption(sharedOption('engine', 'auto | onnx | tfjs'))
  .addOption(sharedOption('precision', 'feature precision: auto | fp32 | int8'))
  .option('--workers <n>', 'extraction processes', '1')
  .option('--batch-size <n>', 'images per engine call', String(EXTRACT_DEFAULTS.batchSize))
  .addOption(new Option('--export <format>', 'also export features for Python').choices(['npy', 'h5']))
  .option('--out <dir>', 'export directory (with --export)')
  .action(async (dirs: string[], raw: Record<string, unknown>) => {
    const o = parseOrThrow(schema, raw, 'cache-bottlenecks options', { asFlags: true });
    const scan = parseScanFlags(raw);
    if (o.export && !o.out) throw new UserError('--export needs --out DIR for the exported files');
    for (const dir of dirs) {
      const dataset = await scanDataset(dir, scan);
      const items: ExtractItem[] = splitNames(dataset).flatMap((s) => dataset.splits[s] ?? []);
      console.log(`== ${dir} @ ${o.cuts.join(', ')}`);
      const reporter = new ExtractProgressRenderer();
      const [cut, ...extraCuts] = o.cuts as [string, ...string[]];
      const base = { weights: o.weights, inputSize: o.inputSize, cache: o.cache };
      const s = await extractFeatures(items, {
        ...base, cut, extraCuts, precision: o.precision, engine: o.engine, workers: o.workers, batchSize: o.batchSize,
        onEvent: (e) => (e.type === 'extract' ? reporter.update(e.progress) : console.log(e.decision.message)),
      });
      reporter.stop();
      console.log(`computed ${s.computed}, reused ${s.reused}, unreadable ${s.unreadable.length} (${s.seconds.toFixed(1)} s, ${s.precision.precision})`);
      for (const u of s.unreadable) console.error(describeUnreadable(u));
      if (o.export) {
        // Unreadable images have no features; export the rest, labels aligned.
        const readable = withoutPaths(dataset, new Set(s.unreadable.map((u) => u.path)));
        for (const c of o.cuts) {
          const files = await exportFeatures(readable, { ...base, cut: c, precision: s.precision }, o.export, join(o.out!, basename(dataset.root), c));
          console.log(`exported ${files.join(', ')}`);
        }
      }
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`cache-bottlenecks: ${describeError(err)}`);
  process.exitCode = 1;
}

import type { Command } from 'commander';
import { z } from 'zod';
import { EXTRACT_DEFAULTS, extractFeatures, type ExtractItem, type ExtractSummary } from '../cache/extract-features.ts';
import { parseQueueUrl, type QueueSettings } from '../queue/queue-url.ts';
import { ExtractProgressRenderer } from './render/extract-progress.ts';
import type { QueueExtractEvent, QueueExtractOptions } from '../queue/submit.ts';
import { isNoAugmentation } from '../data/augment.ts';
import { splitNames } from '../data/dataset.ts';
import { scanDataset } from '../data/scan.ts';
import { describeUnreadable } from '../data/unreadable.ts';
import { pickOptions } from '../options/pieces.ts';
import { parseOrThrow } from '../util/validate.ts';
import { backendFromCli } from './backend.ts';
import { addAugmentFlags, parseAugmentFlags } from './flags/augment.ts';
import { addScanFlags, parseScanFlags } from './flags/scan.ts';
import { addSharedFlags } from './flags/shared.ts';
import { warnIfRandomInit } from './warnings.ts';

// The shared pieces: with the same flags, extract fills exactly the cache entries `train` reads.
const optionsSchema = z.object({
  ...pickOptions('cut', 'inputSize', 'resize', 'augmentCopies', 'cache', 'engine', 'precision'),
  weights: z.string().min(1),
  workers: z.coerce.number().int().min(1).max(64),
  batchSize: z.coerce.number().int().min(1).max(256),
  float16: z.boolean().default(false),
  json: z.boolean().default(false),
  queue: z.string().optional(),
  shardSize: z.coerce.number().int().min(1).max(100_000).optional(),
  shardDir: z.string().min(1).optional(),
  dataRoot: z.string().min(1).optional(),
});

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export function formatSummary(s: ExtractSummary): string {
  const rate = s.computed > 0 ? ` (${(s.computed / s.seconds).toFixed(1)} img/s on ${s.engine})` : '';
  const lines = [
    `${s.interrupted ? 'interrupted' : 'done'} in ${s.seconds.toFixed(1)} s${rate}: computed ${s.computed}, reused ${s.reused}, skipped-unreadable ${s.unreadable.length} of ${s.total}; wrote ${mb(s.bytesWritten)}`,
    `cache ${s.cache.dir}: ${s.cache.entries} entries, ${mb(s.cache.bytes)}; prefix ${s.identity.cut} at ${s.identity.inputSize}px, ${s.precision.precision}, fingerprint ${s.fingerprint.slice(0, 12)}`,
    ...s.unreadable.slice(0, 10).map((u) => `  ${describeUnreadable(u)}`),
    ...(s.unreadable.length > 10 ? [`  … and ${s.unreadable.length - 10} more unreadable files`] : []),
    ...(s.interrupted ? ['run the same command again to resume; finished batches are kept'] : []),
  ];
  return lines.join('\n');
}

/** The queue path: bullmq is imported only here, so plain `extract` never loads it or touches Redis. */
async function extractOnQueue(
  items: ExtractItem[],
  common: Omit<QueueExtractOptions, 'queue' | 'dataRoot'>,
  o: { queue: QueueSettings; dataRoot: string; shardSize?: number; shardDir?: string },
  reporter: ExtractProgressRenderer,
): Promise<ExtractSummary> {
  const { extractOnQueue: submit } = await import('../queue/submit.ts');
  const onEvent = (e: QueueExtractEvent): void => {
    if (e.type === 'progress') reporter.update(e.progress);
    else if (e.type === 'precision') process.stderr.write(`extract: ${e.decision.message}\n`);
    else if (e.type === 'enqueued') process.stderr.write(`extract: enqueued ${e.images} images in ${e.shards} shards (merge job ${e.flow}); shards go to ${e.shardDir}\n`);
    else process.stderr.write(`extract: merged ${e.shards} shards, ${e.written} new cache entries\n`);
  };
  return submit(items, { ...common, queue: o.queue, dataRoot: o.dataRoot, shardSize: o.shardSize, shardDir: o.shardDir, onEvent });
}

/** `transferkit extract`: fill the bottleneck feature cache for a data folder. */
export function register(program: Command): void {
  const cmd = program
    .command('extract')
    .description('Compute the frozen VGG16 prefix once per image (and augmented copy) into the feature cache')
    .argument('<DATA_DIR>', 'image folder: one sub-folder per class, optionally inside train/ validation/ test/')
    .requiredOption('--weights <file>', 'Keras HDF5 file with VGG16 weights (the conv base is enough)')
    .option('--workers <n>', 'processes computing features (use 2 with --engine tfjs on wasm)', '1')
    .option('--batch-size <n>', 'images per engine call', String(EXTRACT_DEFAULTS.batchSize))
    .option('--float16', 'store features as float16 (half the disk; ~3 significant digits)')
    .option('--json', 'print the summary as JSON')
    .option('--queue <url>', 'compute on queue workers (transferkit worker) instead of here: redis://HOST:PORT (docs/scale-out.md)')
    .option('--shard-size <n>', 'with --queue: images per shard job (default: 64)')
    .option('--shard-dir <dir>', 'with --queue: shared folder the workers write shards to (default: shards beside the cache)')
    .option('--data-root <dir>', 'with --queue: folder image paths are sent relative to (default: DATA_DIR)');
  addSharedFlags(cmd, {
    cut: 'last frozen layer (block1_conv1 … block5_pool)',
    inputSize: 'square input side, >= 32',
    resize: 'how images are fitted to the input (as train --resize)',
    augmentCopies: 'augmented copies per training image (with augmentation flags)',
    cache: 'feature cache directory',
    engine: 'inference engine: auto | onnx | tfjs',
    precision: 'feature precision: auto = int8 on onnx CPU when it matches fp32 on held-back images | fp32 | int8',
  });
  addScanFlags(cmd);
  addAugmentFlags(cmd);
  cmd.action(async (dataDir: string, raw: Record<string, unknown>, command: Command) => {
    const o = parseOrThrow(optionsSchema, raw, 'extract options', { asFlags: true });
    const scan = parseScanFlags(raw);
    const augment = parseAugmentFlags(raw);
    const augmenting = !isNoAugmentation(augment);
    const backend = backendFromCli(command);
    const queue = o.queue === undefined ? undefined : parseQueueUrl(o.queue);
    const dataset = await scanDataset(dataDir, scan);
    for (const w of dataset.warnings) process.stderr.write(`extract: warning: ${w}\n`);
    const items: ExtractItem[] = splitNames(dataset).flatMap((split) => dataset.splits[split]!.map((item) => ({ ...item, augment: split === 'train' })));

    await warnIfRandomInit(o.weights);
    const controller = new AbortController();
    const reporter = new ExtractProgressRenderer();
    const onSigint = (): void => {
      if (controller.signal.aborted) process.exit(130); // second Ctrl-C: committed batches are safe anyway
      controller.abort();
      reporter.close();
      process.stderr.write('extract: stopping after the in-flight batch (Ctrl-C again to quit now)\n');
    };
    process.on('SIGINT', onSigint);
    let summary: ExtractSummary;
    try {
      const common = {
        weights: o.weights,
        cut: o.cut,
        inputSize: o.inputSize,
        resize: o.resize,
        cache: o.cache,
        batchSize: o.batchSize,
        dtype: o.float16 ? ('float16' as const) : ('float32' as const),
        // As train: copies only with augmentation, drawn under the run's seed.
        augmentCopies: augmenting ? o.augmentCopies : 0,
        augmentation: augmenting ? { options: augment, seed: scan.seed } : undefined,
        precision: o.precision,
        signal: controller.signal,
      };
      summary = queue === undefined
        ? await extractFeatures(items, {
            ...common,
            engine: o.engine,
            workers: o.workers,
            backend,
            onEvent: (e) => {
              if (e.type === 'extract') reporter.update(e.progress);
              else process.stderr.write(`extract: ${e.decision.message}\n`);
            },
          })
        : await extractOnQueue(items, common, { ...o, queue, dataRoot: o.dataRoot ?? dataDir }, reporter);
    } finally {
      reporter.stop();
      process.off('SIGINT', onSigint);
    }
    console.log(o.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    if (summary.interrupted) process.exitCode = 130;
  });
}

import type { Command } from 'commander';
import { z } from 'zod';
import type { WorkerEvent } from '../queue/shard-worker.ts';
import { OPTION_PIECES } from '../options/pieces.ts';
import { sharedOption } from './flags/shared.ts';
import { parseOrThrow } from '../util/validate.ts';
import { backendFromCli } from './backend.ts';

const optionsSchema = z.object({
  queue: z.string().min(1),
  engine: OPTION_PIECES.engine,
  precision: OPTION_PIECES.precision,
  threads: z.coerce.number().int().min(1).max(256).optional(),
  dataRoot: z.string().min(1).optional(),
  shardDir: z.string().min(1).optional(),
  weights: z.string().min(1).optional(),
});

export function formatWorkerEvent(e: WorkerEvent): string {
  switch (e.type) {
    case 'ready':
      return 'worker: connected; waiting for shards';
    case 'engine':
      return `worker: ${e.engine} engine loaded (${e.cut} at ${e.inputSize}px)`;
    case 'shard-start':
      return `worker: shard ${e.id} started: ${e.images} images`;
    case 'shard-done':
      return `worker: shard ${e.id} done: ${e.computed} images in ${e.seconds.toFixed(1)} s (${(e.computed / e.seconds).toFixed(1)} img/s), ${e.unreadable} unreadable -> ${e.file}`;
    case 'shard-failed':
      return `worker: shard ${e.id} failed: ${e.message}`;
    case 'shard-left':
      return `worker: leaving ${e.precision} shards to other workers: ${e.reason}`;
    case 'redis-error':
      return `worker: Redis: ${e.message} (reconnecting)`;
  }
}

/** `transferkit worker`: take shard jobs from the queue until stopped (docs/scale-out.md). */
export function register(program: Command): void {
  program
    .command('worker')
    .description('Compute feature shards from an `extract --queue` submission; run one or more per machine')
    .requiredOption('--queue <url>', 'redis://HOST:PORT of the queue (the same URL extract --queue used)')
    .addOption(sharedOption('engine', 'inference engine: auto | onnx | tfjs'))
    .addOption(sharedOption('precision', 'shards taken: auto = fp32 and int8, as each submission decided; fp32 or int8 = only those (others are left to other workers)'))
    .option('--threads <n>', 'onnxruntime threads (default: every core; use cores / workers when several run here)')
    .option('--data-root <dir>', "this machine's path of the submitter's data root (default: the same path)")
    .option('--shard-dir <dir>', "this machine's path of the shared shard directory (default: the same path)")
    .option('--weights <file>', "this machine's copy of the weights file (default: the submitter's path)")
    .action(async (raw: Record<string, unknown>, command: Command) => {
      const o = parseOrThrow(optionsSchema, raw, 'worker options', { asFlags: true });
      const backend = backendFromCli(command);
      const [{ parseQueueUrl }, { runShardWorker }] = await Promise.all([import('../queue/queue-url.ts'), import('../queue/shard-worker.ts')]);
      const worker = await runShardWorker(parseQueueUrl(o.queue), {
        ...o,
        backend,
        onEvent: (e) => process.stderr.write(`${formatWorkerEvent(e)}\n`),
      });
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.stderr.write('worker: stopping after the in-flight shard (again to quit now; the queue hands that shard to another worker)\n');
          process.once('SIGINT', () => process.exit(130));
          process.once('SIGTERM', () => process.exit(143));
          worker.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

import type { Command } from 'commander';
import { z } from 'zod';
import type { QueueStatus } from '../queue/status.ts';
import { parseOrThrow } from '../util/validate.ts';

const optionsSchema = z.object({ queue: z.string().min(1), json: z.boolean().default(false) });

export function formatQueueStatus(s: QueueStatus): string {
  const c = s.counts;
  return [
    `shards: ${c.waiting + c.prioritized} waiting, ${c.active} active, ${c.delayed} delayed (retrying, or left for a worker of their precision), ${c.failed} failed, ${c.completed} completed and kept; ${s.workers} workers connected`,
    ...s.flows.map((f) => `submission ${f.merge}: ${f.shardsDone} of ${f.shards} shards done`),
    ...s.active.map((a) => `  shard ${a.id} (${a.precision}): ${a.done}/${a.images} images`),
    ...s.failed.map((f) => `  failed shard ${f.id}: ${f.reason}`),
  ].join('\n');
}

/** `transferkit queue status`: the extraction queue at a glance. */
export function register(program: Command): void {
  const queue = program.command('queue').description('Inspect the extraction queue of extract --queue / worker');
  queue
    .command('status')
    .description('Shards waiting, active, failed; workers connected; progress of each submission')
    .requiredOption('--queue <url>', 'redis://HOST:PORT of the queue')
    .option('--json', 'print as JSON')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOrThrow(optionsSchema, raw, 'queue status options', { asFlags: true });
      const [{ parseQueueUrl }, { queueStatus }] = await Promise.all([import('../queue/queue-url.ts'), import('../queue/status.ts')]);
      const status = await queueStatus(parseQueueUrl(o.queue));
      console.log(o.json ? JSON.stringify(status, null, 2) : formatQueueStatus(status));
    });
}

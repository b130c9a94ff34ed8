/** `queueStatus`: what the shard queue holds, who works on it, and how far each submission is. */
import type { JobProgress } from 'bullmq';
import { connectionOf, loadBullmq, reachRedis, type ShardJobData, type ShardProgress } from './jobs.ts';
import { SHARD_QUEUE, type QueueSettings } from './queue-url.ts';

export interface QueueStatus {
  /** Shard jobs by state. */
  counts: Record<'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'prioritized', number>;
  /** Connected worker processes (BullMQ workers on the shard queue). */
  workers: number;
  /** Shards being computed now, and at which precision. */
  active: Array<{ id: string; precision: string; images: number; done: number }>;
  /** Submissions with shards left: shards finished of all. */
  flows: Array<{ merge: string; shardsDone: number; shards: number }>;
  /** Latest failures, with their reasons. */
  failed: Array<{ id: string; reason: string }>;
}

/** Submissions shown; a queue holds few at a time. */
const MAX_LISTED = 100;

const doneOf = (p: JobProgress): number => (typeof p === 'object' && p !== null && 'done' in p ? (p as unknown as ShardProgress).done : 0);

export async function queueStatus(settings: QueueSettings): Promise<QueueStatus> {
  const bull = await loadBullmq();
  await reachRedis(bull, settings);
  const { Queue, Job } = bull;
  const base = { connection: connectionOf(settings), prefix: settings.prefix };
  const shards = new Queue(SHARD_QUEUE, base);
  const queues = new Map<string, InstanceType<typeof Queue>>();
  try {
    const counts = (await shards.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized')) as QueueStatus['counts'];
    const active = await shards.getActive(0, MAX_LISTED - 1);
    const pending = [...active, ...(await shards.getJobs(['waiting', 'delayed', 'prioritized'], 0, MAX_LISTED - 1))];
    const flows: QueueStatus['flows'] = [];
    for (const parentKey of new Set(pending.flatMap((j) => (j.parentKey ? [j.parentKey] : [])))) {
      // parentKey is `<prefix>:<queue>:<id>`.
      const [, queueName, id] = parentKey.slice(settings.prefix.length).split(':');
      const queue = queues.get(queueName!) ?? new Queue(queueName!, base);
      queues.set(queueName!, queue);
      const parent = await Job.fromId(queue, id!);
      const deps = await parent?.getDependenciesCount({ processed: true, unprocessed: true });
      if (deps) flows.push({ merge: parentKey, shardsDone: deps.processed ?? 0, shards: (deps.processed ?? 0) + (deps.unprocessed ?? 0) });
    }
    return {
      counts,
      workers: (await shards.getWorkers()).length,
      active: active.map((j) => ({ id: j.id!, precision: (j.data as ShardJobData).precision.precision, images: (j.data as ShardJobData).jobs.length, done: doneOf(j.progress) })),
      flows,
      failed: (await shards.getFailed(0, 9)).map((j) => ({ id: j.id!, reason: j.failedReason })),
    };
  } finally {
    await Promise.all([shards.close(), ...[...queues.values()].map((q) => q.close())]);
  }
}

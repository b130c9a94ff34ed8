/**
 * `extractOnQueue`: `extractFeatures` spread over queue workers. Works out which entries the cache
 * lacks, enqueues one BullMQ flow (a child job per shard of images, and a parent merge job in this
 * cache's merge queue), merges the finished shards into the cache itself (only this machine can
 * open the lmdb store), and reports the whole job's progress from the shards' progress events.
 */
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { EXTRACT_DEFAULTS, chunks, decidePrecision, planJobs, resolvePrefix, variantIds, type ExtractItem, type ExtractOptions, type ExtractProgress, type ExtractSummary, type PrecisionEvent } from '../cache/extract-features.ts';
import { FeatureStore } from '../cache/feature-store.ts';
import type { PrefixIdentity } from '../cache/fingerprint.ts';
import type { FeatureJob } from '../cache/jobs.ts';
import { int8Ranges, type PrecisionDecision, type ResolvedPrecision } from '../cache/precision.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import { UserError } from '../errors.ts';
import { cacheSchema, defaultOf } from '../options/pieces.ts';
import { connectionOf, loadBullmq, reachRedis, type MergeJobData, type MergeResult, type ShardJobData, type ShardPrecision, type ShardProgress, type ShardResult } from './jobs.ts';
import { mergeShards } from './merge.ts';
import { SHARD_QUEUE, mergeQueueName, type QueueSettings } from './queue-url.ts';

/**
 * `precision` is decided here, once, as plain `extract` decides it (the calibration and guard run on
 * this machine); the shards carry the decision. One cut per submission: `extraCuts` is not queued.
 */
export interface QueueExtractOptions extends Omit<ExtractOptions, 'workers' | 'engine' | 'backend' | 'onEvent' | 'extraCuts'> {
  queue: QueueSettings;
  /** Images per shard job. Default: 64. */
  shardSize?: number;
  /** Folder the image paths are sent relative to; every worker must read it. Default: the folder holding all items. */
  dataRoot: string;
  /** Shared folder workers write shard files to. Default: `shards` beside the cache. */
  shardDir?: string;
  /** Told how the precision was decided, then as the job is enqueued, progresses and is merged. Default: none. */
  onEvent?: (e: QueueExtractEvent) => void;
}

export const QUEUE_EXTRACT_DEFAULTS = { shardSize: 64, attempts: 3 } as const;

export type QueueExtractEvent =
  | PrecisionEvent
  | { type: 'enqueued'; flow: string; shards: number; images: number; shardDir: string }
  /** `shardsStarted`: shards with at least one batch computed (finished ones included). */
  | { type: 'progress'; progress: ExtractProgress; shardsStarted: number; shardsDone: number; shards: number }
  | { type: 'merged'; shards: number; written: number };

/** `item.path` relative to `root`, or a UserError when it is not under it. */
function underRoot(root: string, path: string): string {
  const rel = relative(root, resolve(path));
  if (rel.startsWith('..') || isAbsolute(rel)) throw new UserError(`image ${path} is outside the data root ${root}; workers read images relative to it (pass a --data-root that holds every image)`);
  return rel;
}

/** A submission before it is enqueued: the decided precision, the prefix, and the shard jobs. */
export interface ShardPlan {
  precision: ResolvedPrecision;
  decision?: PrecisionDecision;
  fingerprint: string;
  identity: PrefixIdentity;
  /** Image variants wanted, cached or not. */
  wanted: number;
  /** One job per shard of the variants `store` lacks. */
  shards: ShardJobData[];
  /** Files that could not even be read. */
  unreadable: UnreadableImage[];
  /** Absolute: the folder image paths are relative to, and the shard directory. */
  dataRoot: string;
  shardDir: string;
}

/** Decide the precision, and split what `store` (the cache at `options.cache`) lacks into shard jobs; nothing touches Redis. */
export async function planShards(items: readonly ExtractItem[], options: Omit<QueueExtractOptions, 'queue'>, store: FeatureStore): Promise<ShardPlan> {
  const o = { ...EXTRACT_DEFAULTS, ...QUEUE_EXTRACT_DEFAULTS, ...options, cache: options.cache ?? defaultOf(cacheSchema) };
  const dataRoot = resolve(o.dataRoot);
  const shardDir = resolve(o.shardDir ?? join(dirname(resolve(o.cache)), 'shards'));
  // This machine calibrates (on onnx when it loads); workers that cannot run int8 leave its shards.
  const { precision, decision } = await decidePrecision(items, o, [o.cut]);
  const { fingerprint, identity } = await resolvePrefix({ ...o, precision });
  const { wanted, unreadable } = await planJobs(items, fingerprint, variantIds(o.augmentCopies, o.augmentation));
  const missing = [...wanted.values()].filter((job) => !store.has(job.key)).map((job): FeatureJob => ({ ...job, path: underRoot(dataRoot, job.path) }));
  const shards: ShardJobData[] = [];
  // Read only when something is computed: a fully cached run needs no calibration.
  if (missing.length > 0) {
    const shardPrecision: ShardPrecision = precision.precision === 'int8' ? { ...precision, ranges: await int8Ranges(precision, o.cache, decision) } : precision;
    const common = { fingerprint, precision: shardPrecision, weights: resolve(o.weights), cut: identity.cut, inputSize: identity.inputSize, resize: identity.resize, dtype: o.dtype, batchSize: o.batchSize, augmentation: o.augmentation, dataRoot, shardDir };
    for (const jobs of chunks(missing, o.shardSize)) shards.push({ ...common, jobs });
  }
  return { precision, decision, fingerprint, identity, wanted: wanted.size, shards, unreadable, dataRoot, shardDir };
}

export async function extractOnQueue(items: readonly ExtractItem[], options: QueueExtractOptions): Promise<ExtractSummary> {
  const o = { ...EXTRACT_DEFAULTS, ...QUEUE_EXTRACT_DEFAULTS, ...options, cache: options.cache ?? defaultOf(cacheSchema) };
  const started = performance.now();
  const store = await FeatureStore.open(o.cache, { dtype: o.dtype });
  try {
    const plan = await planShards(items, o, store);
    const { fingerprint, identity, precision } = plan;
    const missing = plan.shards.reduce((n, s) => n + s.jobs.length, 0);
    const progress: ExtractProgress = { total: plan.wanted, done: plan.wanted - missing, computed: 0, reused: plan.wanted - missing, unreadable: 0, rate: 0 };
    const summary = (merge: MergeResult | undefined, interrupted: boolean): ExtractSummary => {
      const stats = store.stats();
      const unreadable: UnreadableImage[] = [...plan.unreadable, ...(merge?.unreadable ?? []).map((u) => ({ ...u, path: join(plan.dataRoot, u.path) }))];
      return {
        fingerprint, identity, fingerprints: { [identity.cut]: fingerprint }, precision, precisionDecision: plan.decision, engine: merge ? `queue (${merge.engines.join(', ')})` : 'none', total: progress.total, computed: progress.computed, reused: progress.reused, unreadable,
        bytesWritten: merge?.bytes ?? 0, cache: { dir: o.cache, entries: stats.entries, bytes: stats.bytes }, seconds: (performance.now() - started) / 1000, interrupted,
      };
    };
    if (missing === 0) return summary(undefined, false);

    const bull = await loadBullmq();
    await reachRedis(bull, o.queue);
    const base = { connection: connectionOf(o.queue), prefix: o.queue.prefix };
    const mergeQueue = mergeQueueName(o.cache);
    const shardEvents = new bull.QueueEvents(SHARD_QUEUE, base);
    const mergeEvents = new bull.QueueEvents(mergeQueue, base);
    const flows = new bull.FlowProducer(base);
    // This process merges its own submissions (and any left by an earlier submitter of this cache).
    const merger = new bull.Worker<MergeJobData, MergeResult>(mergeQueue, async (job) => mergeShards(store, job.data, Object.values(await job.getChildrenValues<ShardResult>())), { ...base, concurrency: 1 });
    const closeAll = () => Promise.all([merger.close(), shardEvents.close(), mergeEvents.close(), flows.close()]);
    let redisError: Error | undefined;
    const onError = (err: Error): void => void (redisError = err);
    shardEvents.on('error', onError);
    mergeEvents.on('error', onError);
    merger.on('error', onError);
    flows.on('error', onError);
    try {
      await Promise.all([shardEvents.waitUntilReady(), mergeEvents.waitUntilReady(), merger.waitUntilReady(), flows.waitUntilReady()]);
      const { shards, shardDir } = plan;
      const jobOptions = { removeOnComplete: true, attempts: o.attempts, backoff: { type: 'exponential', delay: 1000 } };
      const flow = await flows.add({
        name: 'merge',
        queueName: mergeQueue,
        data: { fingerprint, identity, weights: o.weights, shardDir } satisfies MergeJobData,
        opts: { removeOnComplete: true },
        children: shards.map((data) => ({ name: 'shard', queueName: SHARD_QUEUE, data, opts: { ...jobOptions, failParentOnFailure: true } })),
      });
      o.onEvent?.({ type: 'enqueued', flow: flow.job.id!, shards: shards.length, images: missing, shardDir });

      // Latest progress per shard: a shard retried after its worker died starts again from zero.
      const perShard = new Map<string, ShardProgress>((flow.children ?? []).map((c, i) => [c.job.id!, { done: 0, computed: 0, unreadable: 0, total: shards[i]!.jobs.length }]));
      const reused = progress.reused;
      let computeStart = 0;
      const publish = (): void => {
        const all = [...perShard.values()];
        progress.computed = all.reduce((a, p) => a + p.computed, 0);
        progress.unreadable = all.reduce((a, p) => a + p.unreadable, 0);
        progress.done = reused + all.reduce((a, p) => a + p.done, 0);
        progress.rate = computeStart > 0 ? progress.computed / ((performance.now() - computeStart) / 1000) : 0;
        o.onEvent?.({ type: 'progress', progress: { ...progress }, shardsStarted: all.filter((p) => p.done > 0).length, shardsDone: all.filter((p) => p.done === p.total).length, shards: all.length });
      };
      shardEvents.on('progress', ({ jobId, data }) => {
        if (!perShard.has(jobId) || typeof data !== 'object') return;
        computeStart ||= performance.now();
        perShard.set(jobId, data as unknown as ShardProgress);
        publish();
      });
      publish();

      const aborted = new Promise<undefined>((res) => {
        if (o.signal?.aborted) res(undefined);
        o.signal?.addEventListener('abort', () => res(undefined), { once: true });
      });
      const merged = await Promise.race([flow.job.waitUntilFinished(mergeEvents) as Promise<MergeResult>, aborted]).catch((err: Error) => {
        throw new UserError(`queued extraction failed: ${redisError?.message ?? err.message}; see transferkit queue status --queue URL, fix the cause and run the same command again`);
      });
      if (merged === undefined) return summary(undefined, true);
      // Every shard is in the cache now, whatever the last progress events said.
      progress.unreadable = merged.unreadable.length;
      progress.computed = progress.total - progress.reused - progress.unreadable;
      progress.done = progress.total;
      o.onEvent?.({ type: 'progress', progress: { ...progress }, shardsStarted: shards.length, shardsDone: shards.length, shards: shards.length });
      o.onEvent?.({ type: 'merged', shards: merged.shards, written: merged.written });
      return summary(merged, false);
    } finally {
      await closeAll();
    }
  } finally {
    await store.close();
  }
}

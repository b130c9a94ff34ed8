/**
 * `runShardWorker`: one process taking shard jobs from the queue. It keeps its engines loaded
 * (shard-engines.ts), computes each shard with the same batch code as `extract`, writes the shard
 * file (temp + rename), and returns its name as the job's result. A shard of a precision this worker
 * does not compute goes back to the queue for another worker. BullMQ's locks do the rest: a killed
 * worker's shard goes back to the queue for another.
 */
import { join, relative } from 'node:path';
import { runBatches, type FeatureSink } from '../cache/batch-runner.ts';
import { chunks } from '../cache/extract-features.ts';
import { encodeFeatures } from '../cache/feature-store.ts';
import type { ExtractContext } from '../cache/jobs.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import type { PrefixEngine } from '../models/engines/types.ts';
import { connectionOf, loadBullmq, reachRedis, type ShardJobData, type ShardProgress, type ShardResult } from './jobs.ts';
import { SHARD_QUEUE, type QueueSettings } from './queue-url.ts';
import { refusal, ShardEngines, workerAbility, type ShardEngineOptions } from './shard-engines.ts';
import { writeShard } from './shard-file.ts';
import { defaultOf, engineSchema } from '../options/pieces.ts';

export interface ShardWorkerOptions extends Omit<ShardEngineOptions, 'onEngine'> {
  /** This machine's path of the data root (when it differs from the submitter's). Default: the job's. */
  dataRoot?: string;
  /** This machine's path of the shard directory. Default: the job's. */
  shardDir?: string;
  /** Called as shards start, finish, fail and are left to other workers. Default: none. */
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'engine'; engine: string; cut: string; inputSize: number }
  | { type: 'shard-start'; id: string; images: number }
  | { type: 'shard-done'; id: string; computed: number; unreadable: number; file: string; seconds: number }
  | { type: 'shard-failed'; id: string; message: string }
  /** Once per reason: shards of `precision` go back to the queue for other workers. */
  | { type: 'shard-left'; precision: string; reason: string }
  | { type: 'redis-error'; message: string };

export interface ShardWorker {
  /** Stop taking shards; resolves after the in-flight one is written. */
  close(): Promise<void>;
}

/** A shard left to other workers waits this long before any worker may take it again. */
export const LEAVE_DELAY_MS = 1000;

/** Compute shard `d` on `engine` into a shard file; `onProgress` after each batch. */
export async function computeShard(d: ShardJobData, engine: PrefixEngine, o: Pick<ShardWorkerOptions, 'dataRoot' | 'shardDir' | 'engine'>, onProgress: (p: ShardProgress) => void): Promise<ShardResult> {
  const root = o.dataRoot ?? d.dataRoot;
  const ctx: ExtractContext = { weights: d.weights, cut: d.cut, inputSize: d.inputSize, resize: d.resize, engine: o.engine ?? defaultOf(engineSchema), cacheDir: '', dtype: d.dtype, augmentation: d.augmentation };
  const entries: Array<{ key: string; value: Uint8Array }> = [];
  const sink: FeatureSink = {
    dtype: d.dtype,
    put: async (computed) => void entries.push(...computed.map((e) => ({ key: e.key, value: encodeFeatures(e.features, d.dtype) }))),
  };
  const progress: ShardProgress = { done: 0, computed: 0, unreadable: 0, total: d.jobs.length };
  const unreadable: UnreadableImage[] = [];
  const jobs = d.jobs.map((j) => ({ ...j, path: join(root, j.path) }));
  await runBatches(chunks(jobs, d.batchSize), engine, sink, ctx, (r) => {
    progress.computed += r.computed;
    progress.unreadable += r.unreadable.length;
    progress.done += r.computed + r.unreadable.length;
    unreadable.push(...r.unreadable.map((u) => ({ ...u, path: relative(root, u.path) })));
    onProgress({ ...progress });
  });
  const file = await writeShard(o.shardDir ?? d.shardDir, { fingerprint: d.fingerprint, shape: [...engine.outputShape], engine: engine.name, entries, unreadable });
  return { file, computed: progress.computed, unreadable };
}

/** Start taking shards from the queue at `settings`; resolves once connected. */
export async function runShardWorker(settings: QueueSettings, options: ShardWorkerOptions = {}): Promise<ShardWorker> {
  const ability = await workerAbility(options);
  const bull = await loadBullmq();
  await reachRedis(bull, settings);
  const { Worker, UnrecoverableError, DelayedError } = bull;
  const engines = new ShardEngines({ ...options, onEngine: (e) => options.onEvent?.({ type: 'engine', ...e }) }, (m) => new UnrecoverableError(m));
  const told = new Set<string>();
  const worker = new Worker<ShardJobData, ShardResult>(
    SHARD_QUEUE,
    async (job, token) => {
      const why = refusal(job.data, ability);
      if (why !== undefined) {
        if (!told.has(why)) options.onEvent?.({ type: 'shard-left', precision: job.data.precision.precision, reason: why });
        told.add(why);
        // Not an attempt (BullMQ skips counting it): the shard waits for a worker of its precision.
        await job.moveToDelayed(Date.now() + LEAVE_DELAY_MS, token);
        throw new DelayedError();
      }
      const started = performance.now();
      options.onEvent?.({ type: 'shard-start', id: job.id!, images: job.data.jobs.length });
      let reported: Promise<unknown> = Promise.resolve();
      const result = await computeShard(job.data, await engines.get(job.data), options, (p) => void (reported = reported.then(() => job.updateProgress(p))));
      await reported;
      options.onEvent?.({ type: 'shard-done', id: job.id!, computed: result.computed, unreadable: result.unreadable.length, file: result.file, seconds: (performance.now() - started) / 1000 });
      return result;
    },
    {
      connection: connectionOf(settings),
      prefix: settings.prefix,
      concurrency: 1,
      lockDuration: settings.lockDuration,
      stalledInterval: settings.stalledInterval,
      maxStalledCount: settings.maxStalledCount,
    },
  );
  // Redis going away is reported, not fatal: ioredis reconnects and the worker carries on.
  worker.on('error', (err) => options.onEvent?.({ type: 'redis-error', message: err.message }));
  worker.on('failed', (job, err) => options.onEvent?.({ type: 'shard-failed', id: job?.id ?? '?', message: err.message }));
  await worker.waitUntilReady();
  options.onEvent?.({ type: 'ready' });
  return {
    close: async () => {
      await worker.close();
      await engines.dispose();
    },
  };
}

/**
 * `runShardWorker`: one process taking shard jobs from the queue. It loads the engine once (again
 * only when a job asks for another prefix), computes each shard with the same batch code as
 * `extract`, writes the shard file (temp + rename), and returns its name as the job's result.
 * BullMQ's locks do the rest: a killed worker's shard goes back to the queue for another.
 */
import { join, relative } from 'node:path';
import type { Job } from 'bullmq';
import type { BackendPreference } from '../backend/index.ts';
import { runBatches, type FeatureSink } from '../cache/batch-runner.ts';
import { chunks, resolvePrefix } from '../cache/extract-features.ts';
import { encodeFeatures } from '../cache/feature-store.ts';
import type { ExtractContext, Unreadable } from '../cache/jobs.ts';
import { createEngine } from '../models/engines/index.ts';
import type { EngineChoice, PrefixEngine } from '../models/engines/types.ts';
import { connectionOf, loadBullmq, reachRedis, type ShardJobData, type ShardProgress, type ShardResult } from './jobs.ts';
import { SHARD_QUEUE, type QueueSettings } from './queue-url.ts';
import { writeShard } from './shard-file.ts';
import { defaultOf, engineSchema } from '../options/pieces.ts';

export interface ShardWorkerOptions {
  /** Inference engine. Default: auto. */
  engine?: EngineChoice;
  /** tfjs backend. Default: initBackend's choice. */
  backend?: BackendPreference;
  /** onnxruntime threads. Default: every core. */
  threads?: number;
  /** This machine's path of the data root (when it differs from the submitter's). Default: the job's. */
  dataRoot?: string;
  /** This machine's path of the shard directory. Default: the job's. */
  shardDir?: string;
  /** This machine's path of the weights file. Default: the job's. */
  weights?: string;
  /** Called as shards start, finish and fail. Default: none. */
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'ready' }
  | { type: 'engine'; engine: string; cut: string; inputSize: number }
  | { type: 'shard-start'; id: string; images: number }
  | { type: 'shard-done'; id: string; computed: number; unreadable: number; file: string; seconds: number }
  | { type: 'shard-failed'; id: string; message: string }
  | { type: 'redis-error'; message: string };

export interface ShardWorker {
  /** Stop taking shards; resolves after the in-flight one is written. */
  close(): Promise<void>;
}

/** The engine for one prefix, kept while jobs ask for the same one. */
class EngineSlot {
  private key = '';
  private current: Promise<{ engine: PrefixEngine; fingerprint: string }> | undefined;

  constructor(private readonly o: ShardWorkerOptions, private readonly unrecoverable: (message: string) => Error) {}

  async get(d: ShardJobData): Promise<PrefixEngine> {
    const weights = this.o.weights ?? d.weights;
    const key = JSON.stringify([weights, d.cut, d.inputSize, d.resize]);
    if (key !== this.key || !this.current) {
      const previous = this.current;
      this.key = key;
      this.current = (async () => {
        await previous?.then((p) => p.engine.dispose(), () => undefined);
        const { fingerprint } = await resolvePrefix({ weights, cut: d.cut, inputSize: d.inputSize, resize: d.resize });
        const engine = await createEngine({ weights, cut: d.cut, inputSize: d.inputSize, engine: this.o.engine, backend: this.o.backend, threads: this.o.threads });
        this.o.onEvent?.({ type: 'engine', engine: engine.name, cut: d.cut, inputSize: d.inputSize });
        return { engine, fingerprint };
      })();
      this.current.catch(() => (this.current = undefined));
    }
    const { engine, fingerprint } = await this.current;
    if (fingerprint !== d.fingerprint)
      throw this.unrecoverable(`weights ${weights} on this worker differ from the submitter's (prefix fingerprint ${fingerprint.slice(0, 12)} vs ${d.fingerprint.slice(0, 12)}); give every worker the same weights file (--weights)`);
    return engine;
  }

  async dispose(): Promise<void> {
    await this.current?.then((p) => p.engine.dispose(), () => undefined);
  }
}

async function computeShard(job: Job<ShardJobData, ShardResult>, engine: PrefixEngine, o: ShardWorkerOptions): Promise<ShardResult> {
  const d = job.data;
  const root = o.dataRoot ?? d.dataRoot;
  const ctx: ExtractContext = { weights: d.weights, cut: d.cut, inputSize: d.inputSize, resize: d.resize, engine: o.engine ?? defaultOf(engineSchema), cacheDir: '', dtype: d.dtype, augmentation: d.augmentation };
  const entries: Array<{ key: string; value: Uint8Array }> = [];
  const sink: FeatureSink = {
    dtype: d.dtype,
    put: async (computed) => void entries.push(...computed.map((e) => ({ key: e.key, value: encodeFeatures(e.features, d.dtype) }))),
  };
  const progress: ShardProgress = { done: 0, computed: 0, unreadable: 0, total: d.jobs.length };
  const unreadable: Unreadable[] = [];
  let reported: Promise<void> = Promise.resolve();
  const jobs = d.jobs.map((j) => ({ ...j, path: join(root, j.path) }));
  await runBatches(chunks(jobs, d.batchSize), engine, sink, ctx, (r) => {
    progress.computed += r.computed;
    progress.unreadable += r.unreadable.length;
    progress.done += r.computed + r.unreadable.length;
    unreadable.push(...r.unreadable.map((u) => ({ ...u, path: relative(root, u.path) })));
    const snapshot = { ...progress };
    reported = reported.then(() => job.updateProgress(snapshot));
  });
  await reported;
  const file = await writeShard(o.shardDir ?? d.shardDir, { fingerprint: d.fingerprint, shape: [...engine.outputShape], engine: engine.name, entries, unreadable });
  return { file, computed: progress.computed, unreadable };
}

/** Start taking shards from the queue at `settings`; resolves once connected. */
export async function runShardWorker(settings: QueueSettings, options: ShardWorkerOptions = {}): Promise<ShardWorker> {
  const bull = await loadBullmq();
  await reachRedis(bull, settings);
  const { Worker, UnrecoverableError } = bull;
  const engines = new EngineSlot(options, (m) => new UnrecoverableError(m));
  const worker = new Worker<ShardJobData, ShardResult>(
    SHARD_QUEUE,
    async (job) => {
      const started = performance.now();
      options.onEvent?.({ type: 'shard-start', id: job.id!, images: job.data.jobs.length });
      const result = await computeShard(job, await engines.get(job.data), options);
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

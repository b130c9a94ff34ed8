/**
 * What travels through Redis (shard and merge job data, results, progress) and the connection to it.
 * bullmq is imported here, lazily: only commands given `--queue` load it, and nothing else touches Redis.
 */
import type { FeatureDtype } from '../cache/feature-store.ts';
import type { PrefixIdentity } from '../cache/fingerprint.ts';
import type { AugmentationSpec, FeatureJob } from '../cache/jobs.ts';
import type { ResolvedPrecision } from '../cache/precision.ts';
import type { ResizeMode } from '../data/decode.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import type { Int8Ranges } from '../models/engines/prefix-graph.ts';
import { UserError } from '../errors.ts';
import { SHARD_QUEUE, type QueueSettings } from './queue-url.ts';

/**
 * The precision the submitter decided, which every worker computes a shard at: fp32, or int8 under
 * the submitter's calibration, whose ranges travel with the shard (workers cannot read its cache).
 */
export type ShardPrecision = Extract<ResolvedPrecision, { precision: 'fp32' }> | (Extract<ResolvedPrecision, { precision: 'int8' }> & { ranges: Int8Ranges });

/** One shard: images (paths relative to `dataRoot`) for a worker to compute into one shard file. */
export interface ShardJobData {
  /** Prefix fingerprint, precision and calibration included: a worker recomputes and checks it. */
  fingerprint: string;
  precision: ShardPrecision;
  weights: string;
  cut: string;
  inputSize: number;
  resize: ResizeMode;
  dtype: FeatureDtype;
  batchSize: number;
  augmentation?: AugmentationSpec;
  /** Folder every worker can read the images under (override per worker with --data-root). */
  dataRoot: string;
  /** Folder every worker writes shard files to (override per worker with --shard-dir). */
  shardDir: string;
  jobs: FeatureJob[];
}

/** A finished shard: its file in the shard directory, and what it holds. */
export interface ShardResult {
  file: string;
  computed: number;
  /** Unreadable images, paths relative to the data root. */
  unreadable: UnreadableImage[];
}

/** Reported through `job.updateProgress` after each batch of a shard. */
export interface ShardProgress {
  done: number;
  computed: number;
  unreadable: number;
  total: number;
}

/** The parent job: fold the finished shards of one submission into the submitter's cache. */
export interface MergeJobData {
  fingerprint: string;
  identity: PrefixIdentity;
  weights: string;
  /** The submitting process's view of the shard directory. */
  shardDir: string;
}

/** What the merge job returns. */
export interface MergeResult {
  shards: number;
  /** Entries written to the cache (0 for a shard merged before). */
  written: number;
  /** Their feature bytes (headers not counted). */
  bytes: number;
  /** Engines that computed the shards. */
  engines: string[];
  unreadable: UnreadableImage[];
}

export type BullMQ = typeof import('bullmq');

export const loadBullmq = (): Promise<BullMQ> => import('bullmq');

/** ioredis options for BullMQ (workers need `maxRetriesPerRequest: null` to block on Redis). */
export const connectionOf = (s: QueueSettings) => ({ ...s.connection, maxRetriesPerRequest: null });

const REACH_TIMEOUT_MS = 10_000;

/**
 * Resolves once Redis answers at `s`; a UserError naming the address when it does not in time. A
 * throwaway connection asks, so nothing long-lived is left half-connected (BullMQ's QueueEvents
 * cannot be closed before it has connected once).
 */
export async function reachRedis(bull: BullMQ, s: QueueSettings): Promise<void> {
  const probe = new bull.Queue(SHARD_QUEUE, { connection: connectionOf(s), prefix: s.prefix });
  probe.on('error', () => undefined); // connection refused, retried: the timeout below reports it once
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new UserError(`no Redis answered at ${s.connection.host}:${s.connection.port} within ${REACH_TIMEOUT_MS / 1000} s; start redis-server there (docs/scale-out.md) or fix the --queue URL`)),
      REACH_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([probe.waitUntilReady(), timeout]);
  } finally {
    clearTimeout(timer);
    await probe.close();
  }
}

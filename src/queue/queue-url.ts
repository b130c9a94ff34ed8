/**
 * The one URL that configures the extraction queue: where Redis is, and how BullMQ recovers from a
 * dead worker. `redis://[user:password@]host:port[/db][?prefix=bull&lockDuration=30000&stalledInterval=30000&maxStalledCount=2]`
 * (`rediss://` for TLS). Parsed once, at the edge.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import { parseOrThrow } from '../util/validate.ts';

export interface QueueSettings {
  /** ioredis connection options. */
  connection: { host: string; port: number; db: number; username?: string; password?: string; tls?: object };
  /** Redis key prefix of every queue. Default: `bull` (BullMQ's). */
  prefix: string;
  /** Milliseconds a worker's lock on a shard lasts unless renewed (a killed worker's shard is free after this). Default: 30000. */
  lockDuration: number;
  /** Milliseconds between checks for shards whose worker died. Default: 30000. */
  stalledInterval: number;
  /** Times a shard may be recovered from dead workers before it fails. Default: 2. */
  maxStalledCount: number;
}

export const QUEUE_DEFAULTS = { prefix: 'bull', lockDuration: 30_000, stalledInterval: 30_000, maxStalledCount: 2 } as const;

/** The queue every worker takes shards from. */
export const SHARD_QUEUE = 'transferkit-shards';

const paramsSchema = z.object({
  prefix: z.string().regex(/^[\w.-]+$/).default(QUEUE_DEFAULTS.prefix),
  lockDuration: z.coerce.number().int().min(1000).default(QUEUE_DEFAULTS.lockDuration),
  stalledInterval: z.coerce.number().int().min(500).default(QUEUE_DEFAULTS.stalledInterval),
  maxStalledCount: z.coerce.number().int().min(0).max(100).default(QUEUE_DEFAULTS.maxStalledCount),
}).strict();

export function parseQueueUrl(text: string): QueueSettings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--queue ${text}: not a URL; expected redis://HOST:PORT (e.g. redis://127.0.0.1:6379)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new UsageError(`--queue ${text}: expected a redis:// or rediss:// URL`);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`--queue ${text}: the path must be a Redis database number (e.g. /0)`);
  const params = parseOrThrow(paramsSchema, Object.fromEntries(url.searchParams), `--queue ${text} query parameters`);
  return {
    connection: {
      host: url.hostname || '127.0.0.1',
      port: url.port ? Number(url.port) : 6379,
      db,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    },
    ...params,
  };
}

/**
 * The merge queue of one feature cache on one machine: only processes that can open that lmdb
 * directory (the submitters of that cache) take its merge jobs.
 */
export function mergeQueueName(cacheDir: string): string {
  const id = createHash('sha256').update(`${hostname()}\n${resolve(cacheDir)}`).digest('hex').slice(0, 16);
  return `transferkit-merge-${id}`;
}

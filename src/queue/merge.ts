/**
 * Folding finished shards into the lmdb feature cache. Entries are content-addressed and
 * `putEncoded` skips keys already holding features, so merging a shard twice changes nothing.
 */
import { join } from 'node:path';
import { FEATURE_HEADER_BYTES, type FeatureStore } from '../cache/feature-store.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import { UserError } from '../errors.ts';
import type { MergeJobData, MergeResult, ShardResult } from './jobs.ts';
import { readShard } from './shard-file.ts';

export async function mergeShards(store: FeatureStore, job: MergeJobData, results: readonly ShardResult[]): Promise<MergeResult> {
  let written = 0;
  let bytes = 0;
  const engines = new Set<string>();
  const unreadable: UnreadableImage[] = [];
  for (const result of results) {
    const file = join(job.shardDir, result.file);
    const shard = await readShard(file);
    if (shard.fingerprint !== job.fingerprint) throw new UserError(`shard ${file} holds features of prefix ${shard.fingerprint.slice(0, 12)}, not ${job.fingerprint.slice(0, 12)}; the shard directory is shared with another submission — delete the shard and resubmit`);
    if (shard.entries.length > 0) await store.putMeta({ fingerprint: job.fingerprint, shape: shard.shape, ...job.identity, weights: job.weights });
    const fresh = await store.putEncoded(shard.entries);
    written += fresh.length;
    bytes += fresh.reduce((sum, e) => sum + e.value.length - FEATURE_HEADER_BYTES, 0);
    engines.add(shard.engine);
    unreadable.push(...shard.unreadable);
  }
  return { shards: results.length, written, bytes, engines: [...engines].sort(), unreadable };
}

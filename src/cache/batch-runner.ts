/**
 * Computes batches of feature jobs: decode (sharp, in parallel on libuv threads), preprocess (Keras
 * caffe mode), run the prefix engine, and commit the batch to the store in one transaction. Decoding
 * is split from computing so callers can decode batch i+1 while the engine runs batch i.
 */
import { augmentImage } from '../data/augment.ts';
import { decodeImage, ImageDecodeError } from '../data/decode.ts';
import type { UnreadableImage } from '../data/unreadable.ts';
import type { PrefixEngine } from '../models/engines/types.ts';
import { caffeInput } from '../models/preprocess.ts';
import type { FeatureStore } from './feature-store.ts';
import type { BatchResult, ExtractContext, FeatureJob } from './jobs.ts';

/** Where computed features go: the lmdb store, or a shard being collected for the queue. */
export type FeatureSink = Pick<FeatureStore, 'put' | 'dtype'>;

/** A batch with its images decoded: RGB uint8 pixels for the readable jobs. */
export interface DecodedBatch {
  jobs: FeatureJob[];
  pixels: Uint8Array[];
  unreadable: UnreadableImage[];
}

/** RGB bytes at the input size for one job (the original, or its augmented copy). */
async function jobPixels(job: FeatureJob, ctx: ExtractContext): Promise<Uint8Array> {
  const size = { width: ctx.inputSize, height: ctx.inputSize, resize: ctx.resize };
  if (job.copy === 0 || !ctx.augmentation) return (await decodeImage(job.path, size)).data;
  const { options, seed } = ctx.augmentation;
  return (await augmentImage(job.path, job.imageHash, size, options, { seed, copy: job.copy })).data;
}

export async function decodeBatch(jobs: readonly FeatureJob[], ctx: ExtractContext): Promise<DecodedBatch> {
  const settled = await Promise.allSettled(jobs.map((job) => jobPixels(job, ctx)));
  const out: DecodedBatch = { jobs: [], pixels: [], unreadable: [] };
  settled.forEach((r, i) => {
    const job = jobs[i]!;
    if (r.status === 'fulfilled') {
      out.jobs.push(job);
      out.pixels.push(r.value);
    } else {
      const reason = r.reason instanceof ImageDecodeError ? r.reason.reason : r.reason instanceof Error ? r.reason.message : String(r.reason);
      out.unreadable.push({ path: job.path, reason });
    }
  });
  return out;
}

/** Preprocessed NHWC float32 input for the engine (Keras caffe mode). */
export function toInput(pixels: readonly Uint8Array[], inputSize: number): Float32Array {
  const per = inputSize * inputSize * 3;
  const out = new Float32Array(pixels.length * per);
  pixels.forEach((p, i) => caffeInput(p, out, i * per));
  return out;
}

/** The engine, or a function creating it on first need (a batch of only unreadable files needs none). */
export type EngineSource = PrefixEngine | (() => Promise<PrefixEngine>);

/** Run the engine on a decoded batch and commit its features (after this resolves they survive kill -9). */
export async function computeBatch(batch: DecodedBatch, engine: EngineSource, store: FeatureSink, inputSize: number): Promise<BatchResult> {
  const n = batch.jobs.length;
  if (n === 0) return { computed: 0, unreadable: batch.unreadable, bytes: 0 };
  const run = typeof engine === 'function' ? await engine() : engine;
  const outputs = await run.runAll(toInput(batch.pixels, inputSize), n);
  const entries = outputs.flatMap((features, k) => {
    const per = features.length / n;
    return batch.jobs.map((job, i) => ({ key: (job.keys ?? [job.key])[k]!, features: features.subarray(i * per, (i + 1) * per) }));
  });
  await store.put(entries);
  const values = outputs.reduce((sum, f) => sum + f.length, 0);
  return { computed: n, unreadable: batch.unreadable, bytes: values * (store.dtype === 'float16' ? 2 : 4) };
}

/**
 * Compute every batch from `batches`, decoding one batch ahead of the engine. Stops after the
 * in-flight batch when `signal` aborts.
 */
export async function runBatches(
  batches: AsyncIterable<FeatureJob[]> | Iterable<FeatureJob[]>,
  engine: EngineSource,
  store: FeatureSink,
  ctx: ExtractContext,
  onResult: (r: BatchResult) => void,
  signal?: AbortSignal,
): Promise<void> {
  let pending: Promise<DecodedBatch> | undefined;
  for await (const jobs of batches) {
    const next = decodeBatch(jobs, ctx);
    next.catch(() => undefined);
    if (pending) onResult(await computeBatch(await pending, engine, store, ctx.inputSize));
    pending = next;
    if (signal?.aborted) return;
  }
  if (pending) onResult(await computeBatch(await pending, engine, store, ctx.inputSize));
}

/**
 * A worker process for `extractFeatures --workers N`: its own engine (its own wasm instance, since
 * wasm runs one thread per process in Node) and its own handle on the shared lmdb store. It computes
 * the batches the parent sends, one at a time, decoding the next while the engine runs.
 */
import { UserError } from '../errors.ts';
import { createEngine } from '../models/engines/index.ts';
import type { PrefixEngine } from '../models/engines/types.ts';
import { computeBatch, decodeBatch, type DecodedBatch } from './batch-runner.ts';
import { FeatureStore } from './feature-store.ts';
import { engineOptions, type ExtractContext } from './jobs.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

const send = (m: FromWorker): void => void process.send!(m);

// Ctrl-C reaches the whole process group: the parent decides when we stop, after the in-flight batch.
process.on('SIGINT', () => undefined);

let ctx: ExtractContext;
let engine: PrefixEngine;
let store: FeatureStore;
let queue: Promise<void> = Promise.resolve();

async function init(c: ExtractContext): Promise<void> {
  ctx = c;
  store = await FeatureStore.open(c.cacheDir, { dtype: c.dtype });
  engine = await createEngine(engineOptions(c));
  send({ type: 'ready', engine: engine.name, outputShapes: engine.outputShapes.map((s) => [...s]) });
}

function fail(err: unknown): void {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err), user: err instanceof UserError });
  process.exit(1);
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'init') {
    init(m.ctx).catch(fail);
  } else if (m.type === 'batch') {
    // Decoding starts now; compute waits for the previous batch (the parent keeps two in flight).
    const decoded: Promise<DecodedBatch> = decodeBatch(m.jobs, ctx);
    decoded.catch(() => undefined);
    queue = queue.then(async () => send({ type: 'done', result: await computeBatch(await decoded, engine, store, ctx.inputSize) })).catch(fail);
  } else {
    queue
      .then(async () => {
        await engine?.dispose();
        await store?.close();
        process.disconnect();
      })
      .catch(fail);
  }
});

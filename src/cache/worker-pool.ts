/**
 * Runs extraction batches in N child processes (`--workers N`). Each worker keeps up to two batches
 * queued so it decodes one while computing the other; results stream back as they finish.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import type { BatchResult, ExtractContext, FeatureJob } from './jobs.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

const WORKER = fileURLToPath(new URL('./extract-worker.ts', import.meta.url));
/** Batches queued per worker: one computing, one decoding. */
const IN_FLIGHT = 2;

export interface PoolHooks {
  /** First worker ready: its engine name and feature shape. */
  onReady: (engine: string, outputShape: readonly number[]) => Promise<void>;
  onResult: (r: BatchResult) => void;
  /** Stop handing out batches; resolves after the in-flight ones finish. */
  signal?: AbortSignal;
}

export async function runWorkerPool(batches: Iterator<FeatureJob[]>, ctx: ExtractContext, workers: number, hooks: PoolHooks): Promise<void> {
  let readyCalled: Promise<void> | undefined;
  const run = (child: ChildProcess) =>
    new Promise<void>((resolve, reject) => {
      let inFlight = 0;
      let stopping = false;
      const post = (m: ToWorker) => child.send(m);
      const feed = () => {
        while (!stopping && inFlight < IN_FLIGHT && !hooks.signal?.aborted) {
          const next = batches.next();
          if (next.done) break;
          inFlight++;
          post({ type: 'batch', jobs: next.value });
        }
        if (inFlight === 0 && !stopping) {
          stopping = true;
          post({ type: 'stop' });
        }
      };
      child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          readyCalled ??= hooks.onReady(m.engine, m.outputShape);
          readyCalled.then(feed, reject);
        } else if (m.type === 'done') {
          inFlight--;
          hooks.onResult(m.result);
          feed();
        } else {
          stopping = true;
          reject(m.user ? new UserError(m.message) : new Error(`extraction worker failed: ${m.message}`));
        }
      });
      child.on('exit', (code) => (stopping && code === 0 ? resolve() : reject(new Error(`extraction worker exited with code ${code}`))));
      post({ type: 'init', ctx });
    });
  const children = Array.from({ length: workers }, () =>
    fork(WORKER, [], { execArgv: ['--import', import.meta.resolve('tsx')], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  try {
    await Promise.all(children.map(run));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

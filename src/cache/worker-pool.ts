/**
 * Runs extraction batches in N child processes (`--workers N`). A worker may queue a second batch
 * (decoding it while computing the first) only while every other worker has one: otherwise the
 * first worker to start would take both batches of a short run and leave the rest idle.
 * Results stream back as they finish.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import type { BatchResult, ExtractContext, FeatureJob } from './jobs.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

/** `.ts` when running from source (tests, a clone), `.js` in the compiled package (dist/). */
const OWN_EXTENSION = extname(fileURLToPath(import.meta.url));
const WORKER = fileURLToPath(new URL(`./extract-worker${OWN_EXTENSION}`, import.meta.url));
/**
 * Source needs tsx, plus hooks that load dependencies past it (saves 250-600 MB per worker; see
 * bin/dependency-hooks.mjs). Compiled JavaScript needs neither.
 */
const WORKER_EXEC_ARGV =
  OWN_EXTENSION === '.ts'
    ? ['--import', import.meta.resolve('tsx'), '--import', new URL('../../bin/register-dependency-hooks.mjs', import.meta.url).href]
    : [];
/** Batches queued per worker: one computing, one decoding. */
const IN_FLIGHT = 2;

export interface PoolHooks {
  /** First worker ready: its engine name and the feature shape at each cut. */
  onReady: (engine: string, outputShapes: readonly (readonly number[])[]) => Promise<void>;
  onResult: (r: BatchResult) => void;
  /** Stop handing out batches; resolves after the in-flight ones finish. */
  signal?: AbortSignal;
}

/**
 * Whether worker `me` may queue another batch, given the batches queued per worker (a stopped
 * worker counts as busy): up to IN_FLIGHT, and a second one only while no other worker is idle.
 */
export function mayQueue(inFlight: readonly number[], me: number): boolean {
  const mine = inFlight[me]!;
  return mine < IN_FLIGHT && (mine === 0 || inFlight.every((n, i) => i === me || n > 0));
}

export async function runWorkerPool(batches: Iterator<FeatureJob[]>, ctx: ExtractContext, workers: number, hooks: PoolHooks): Promise<void> {
  let readyCalled: Promise<void> | undefined;
  // Batches queued per worker; a worker that stopped counts as busy (it takes nothing more).
  const inFlightOf: number[] = Array.from({ length: workers }, () => 0);
  const run = (child: ChildProcess, me: number) =>
    new Promise<void>((resolve, reject) => {
      let stopping = false;
      const post = (m: ToWorker) => child.send(m);
      const feed = () => {
        while (!stopping && !hooks.signal?.aborted && mayQueue(inFlightOf, me)) {
          const next = batches.next();
          if (next.done) break;
          inFlightOf[me]!++;
          post({ type: 'batch', jobs: next.value });
        }
        if (inFlightOf[me] === 0 && !stopping) {
          inFlightOf[me] = Infinity;
          stopping = true;
          post({ type: 'stop' });
        }
      };
      child.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          readyCalled ??= hooks.onReady(m.engine, m.outputShapes);
          readyCalled.then(feed, reject);
        } else if (m.type === 'done') {
          inFlightOf[me]!--;
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
    fork(WORKER, [], { execArgv: WORKER_EXEC_ARGV, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  try {
    await Promise.all(children.map((child, i) => run(child, i)));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

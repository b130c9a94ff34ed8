/** Messages between `extractFeatures` and its worker processes. */
import type { BatchResult, ExtractContext, FeatureJob } from './jobs.ts';

export type ToWorker = { type: 'init'; ctx: ExtractContext } | { type: 'batch'; jobs: FeatureJob[] } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; engine: string; outputShapes: number[][] }
  | { type: 'done'; result: BatchResult }
  | { type: 'error'; message: string; user: boolean };

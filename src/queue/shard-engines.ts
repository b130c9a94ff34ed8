/**
 * Which shards a worker takes, and the engines it keeps for them. A shard carries the precision its
 * submitter decided; a worker pinned to another precision (`--precision`), or one where int8 cannot
 * run as the calibration assumes, leaves the shard to other workers. Engines are kept per prefix
 * fingerprint (precision and calibration included), so fp32 and int8 shards never share one.
 */
import type { BackendPreference } from '../backend/index.ts';
import { resolvePrefix } from '../cache/extract-features.ts';
import type { PrecisionChoice } from '../options/pieces.ts';
import { UserError } from '../errors.ts';
import { int8WeightBits } from '../models/engines/calibrate.ts';
import { createEngine, onnxProviders, resolveEngine } from '../models/engines/index.ts';
import type { EngineChoice, PrefixEngine } from '../models/engines/types.ts';
import type { ShardJobData } from './jobs.ts';

export interface ShardEngineOptions {
  /** Inference engine. Default: auto. */
  engine?: EngineChoice;
  /** tfjs backend. Default: initBackend's choice. */
  backend?: BackendPreference;
  /** onnxruntime threads. Default: every core. */
  threads?: number;
  /** This machine's path of the weights file. Default: the job's. */
  weights?: string;
  /** Shards taken: `auto` = either precision, as each submitter decided; fp32 or int8 = only those. Default: auto. */
  precision?: PrecisionChoice;
  /** Told when an engine is loaded. Default: none. */
  onEngine?: (e: { engine: string; cut: string; inputSize: number }) => void;
}

/** Engines kept loaded at once (an fp32 and an int8 one, say); the least recently used goes first. */
export const MAX_ENGINES = 2;

/** What a worker can compute: its pinned precision, and int8's weight bits here (or why int8 cannot run). */
export interface WorkerAbility {
  precision: PrecisionChoice;
  int8: { weightBits: 7 | 8 } | { unavailable: string };
}

export async function workerAbility(o: Pick<ShardEngineOptions, 'engine' | 'precision'>): Promise<WorkerAbility> {
  const precision = o.precision ?? 'auto';
  const onnxCpu = (await resolveEngine(o.engine ?? 'auto')) === 'onnx' && onnxProviders()[0] === 'cpu';
  if (!onnxCpu && precision === 'int8') throw new UserError('worker --precision int8 needs the onnx engine with the CPU provider; use --engine onnx (and TRANSFERKIT_ONNX_PROVIDERS=cpu), or --precision fp32');
  return { precision, int8: onnxCpu ? { weightBits: await int8WeightBits() } : { unavailable: 'int8 runs on onnxruntime CPU only, and this worker uses another engine or provider' } };
}

/** Why a worker of `ability` leaves shard `d` to other workers; undefined when it takes it. */
export function refusal(d: ShardJobData, ability: WorkerAbility): string | undefined {
  const p = d.precision;
  if (ability.precision !== 'auto' && ability.precision !== p.precision) return `this worker computes ${ability.precision} only (--precision ${ability.precision})`;
  if (p.precision === 'fp32') return undefined;
  if ('unavailable' in ability.int8) return ability.int8.unavailable;
  // 8-bit weights saturate the AVX2 u8 x s8 kernel: features would differ from the submitter's.
  if (p.ranges.weightBits > ability.int8.weightBits) return 'the calibration has 8-bit weights, which this CPU (no VNNI) cannot compute exactly; run such workers on VNNI CPUs, or submit from a CPU without VNNI (7-bit weights)';
  return undefined;
}

/** The engines of one worker, by prefix fingerprint; each loaded once while jobs keep asking for it. */
export class ShardEngines {
  private readonly loaded = new Map<string, Promise<PrefixEngine>>();

  constructor(private readonly o: ShardEngineOptions, private readonly unrecoverable: (message: string) => Error) {}

  /** The engine for shard `d`, after checking that this worker's weights and the shard's precision give its fingerprint. */
  async get(d: ShardJobData): Promise<PrefixEngine> {
    const weights = this.o.weights ?? d.weights;
    const { fingerprint } = await resolvePrefix({ weights, cut: d.cut, inputSize: d.inputSize, resize: d.resize, precision: d.precision });
    if (fingerprint !== d.fingerprint)
      throw this.unrecoverable(`weights ${weights} on this worker differ from the submitter's, or the shard's precision does not match its fingerprint (prefix fingerprint ${fingerprint.slice(0, 12)} vs ${d.fingerprint.slice(0, 12)}); give every worker the same weights file (--weights) and transferkit version`);
    const key = JSON.stringify([weights, fingerprint]);
    let slot = this.loaded.get(key);
    if (slot) {
      this.loaded.delete(key); // set again below: the Map's order is least recently used first
    } else {
      for (const [old, evicted] of this.loaded) {
        if (this.loaded.size < MAX_ENGINES) break;
        this.loaded.delete(old);
        await evicted.then((e) => e.dispose(), () => undefined);
      }
      const loading = this.load(weights, d);
      loading.catch(() => {
        if (this.loaded.get(key) === loading) this.loaded.delete(key);
      });
      slot = loading;
    }
    this.loaded.set(key, slot);
    return slot;
  }

  private async load(weights: string, d: ShardJobData): Promise<PrefixEngine> {
    const int8 = d.precision.precision === 'int8' ? d.precision.ranges : undefined;
    const engine = await createEngine({ weights, cut: d.cut, inputSize: d.inputSize, int8, engine: this.o.engine, backend: this.o.backend, threads: this.o.threads });
    this.o.onEngine?.({ engine: engine.name, cut: d.cut, inputSize: d.inputSize });
    return engine;
  }

  async dispose(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(all.map((slot) => slot.then((e) => e.dispose(), () => undefined)));
  }
}

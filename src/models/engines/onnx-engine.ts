/**
 * Runs an ONNX prefix with onnxruntime-node: one intra-op pool over every core, all graph
 * optimisations (Conv+Relu fuse into NCHWc kernels; the layout transposes fold into the ends).
 * onnxruntime-node is imported lazily so a machine where it fails to load can still fall back to tfjs.
 *
 * Session settings, from measurements on our 2-core AVX2 machines (see docs/onnx-engine.md):
 * - Spinning off by default. A VGG conv runs for milliseconds, so a sleeping worker's wake-up
 *   (microseconds) costs nothing on an idle machine; on a busy one, spinning workers burned ~25 %
 *   extra CPU per image (0.38 vs 0.31 CPU-s at 224) and slowed everything else down.
 * - No memory arena, and at most ACTIVATION_BUDGET pixels per session run on the CPU provider:
 *   per-image CPU time is flat in the batch size (0.31 CPU-s at 1, 2, 4 and 8 images), while the
 *   activations grow ~50 MB per 224 px image and the arena would keep its peak for the whole run.
 */
import { availableParallelism } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { UserError } from '../../errors.ts';
import { ONNX_INPUT } from './layers-to-onnx.ts';
import type { PrefixEngine } from './types.ts';

type Ort = typeof import('onnxruntime-node');

let ortModule: Promise<Ort> | undefined;

/** onnxruntime-node, loaded once; rejects when its native binding cannot load on this machine. */
export function loadOnnxRuntime(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

/**
 * Execution providers, in preference order: `TRANSFERKIT_ONNX_PROVIDERS=cuda,cpu` lets GPU users
 * (with the CUDA provider installed, see docs/onnx-gpu.md) opt in; default is the CPU provider.
 */
export function onnxProviders(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = (env.TRANSFERKIT_ONNX_PROVIDERS ?? 'cpu').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  return list.length > 0 ? list : ['cpu'];
}

/** Pixels (images x side²) per CPU session run: two 224 px images, ~100 MB of activations at block1. */
export const ACTIVATION_BUDGET = 2 * 224 * 224;

/** Images per session run at `inputSize` on the CPU provider (at least one). */
export function cpuRunImages(inputSize: number): number {
  return Math.max(1, Math.floor(ACTIVATION_BUDGET / (inputSize * inputSize)));
}

export interface OnnxEngineOptions {
  /** Serialised ONNX model (input `input`: NHWC images), from `layersModelToOnnx` or `prefixGraph`. */
  model: Uint8Array;
  inputSize: number;
  /** Graph outputs to return, in order: value name, per-image shape, and the cut it is (default: the name). */
  outputs: readonly { name: string; shape: readonly number[]; cut?: string }[];
  /** Precision of the graph's weights and activations. Default: fp32. */
  precision?: 'fp32' | 'int8';
  /** Write the optimised graph here (to check which kernels onnxruntime chose). Default: none. */
  optimizedModelFilePath?: string;
  /** Intra-op threads. Default: every core (`os.availableParallelism()`). */
  threads?: number;
  /** Let idle intra-op workers spin instead of sleeping (a few % faster on an idle machine only). Default: false. */
  spinning?: boolean;
}

export async function createOnnxEngine(options: OnnxEngineOptions): Promise<PrefixEngine> {
  const ort = await loadOnnxRuntime();
  const providers = onnxProviders();
  const spin = (options.spinning ?? false) ? '1' : '0';
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(options.model, {
      intraOpNumThreads: options.threads ?? availableParallelism(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableCpuMemArena: false,
      executionProviders: providers,
      ...(options.optimizedModelFilePath ? { optimizedModelFilePath: options.optimizedModelFilePath } : {}),
      // The Node binding flattens this to the config key `session.intra_op.allow_spinning`.
      extra: { session: { intra_op: { allow_spinning: spin } } },
    });
  } catch (err) {
    throw new UserError(`onnxruntime could not start with providers ${providers.join(',')}: ${(err as Error).message}; unset TRANSFERKIT_ONNX_PROVIDERS or use --engine tfjs`);
  }
  const { inputSize, outputs } = options;
  const pixels = inputSize * inputSize * 3;
  const perImage = outputs.map((o) => o.shape.reduce((a, b) => a * b, 1));
  // A GPU provider wants the whole batch; the CPU gains nothing from more than the budget.
  const step = providers[0] === 'cpu' ? cpuRunImages(inputSize) : Infinity;
  const precision = options.precision ?? 'fp32';
  // Each output array owns its memory (the binding hands over onnxruntime's buffer, or a copy of it).
  const runOnce = async (images: Float32Array, count: number): Promise<Float32Array[]> => {
    const results = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', images, [count, inputSize, inputSize, 3]) });
    return outputs.map((o) => results[o.name]!.data as Float32Array);
  };
  const runAll = async (batch: Float32Array, n: number): Promise<Float32Array[]> => {
    // One session run's outputs are the result as they are; several runs are gathered into one array per cut.
    if (n <= step) return runOnce(batch.subarray(0, n * pixels), n);
    const out = perImage.map((per) => new Float32Array(n * per));
    for (let start = 0; start < n; start += step) {
      const count = Math.min(step, n - start);
      const parts = await runOnce(batch.subarray(start * pixels, (start + count) * pixels), count);
      parts.forEach((part, k) => out[k]!.set(part, start * perImage[k]!));
    }
    return out;
  };
  return {
    name: `${providers[0] === 'cpu' ? 'onnx' : `onnx-${providers[0]}`}${precision === 'int8' ? '-int8' : ''}`,
    engine: 'onnx',
    precision,
    cuts: outputs.map((o) => o.cut ?? o.name),
    outputShape: outputs[0]!.shape,
    outputShapes: outputs.map((o) => o.shape),
    runAll,
    async run(batch, n) {
      return (await runAll(batch, n))[0]!;
    },
    async dispose() {
      await session.release();
    },
  };
}

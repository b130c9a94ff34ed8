/**
 * Runs an ONNX prefix with onnxruntime-node: every core in one intra-op pool, all graph
 * optimisations. onnxruntime-node is imported lazily so a machine where it fails to load can
 * still fall back to tfjs.
 */
import { availableParallelism } from 'node:os';
import type { InferenceSession } from 'onnxruntime-node';
import { UserError } from '../../errors.ts';
import { ONNX_INPUT, ONNX_OUTPUT } from './layers-to-onnx.ts';
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

export interface OnnxEngineOptions {
  /** Serialised ONNX model from `layersModelToOnnx` (input `input`: NHWC images; output `output`). */
  model: Uint8Array;
  inputSize: number;
  outputShape: readonly number[];
  /** Intra-op threads. Default: every core (`os.availableParallelism()`). */
  threads?: number;
}

export async function createOnnxEngine(options: OnnxEngineOptions): Promise<PrefixEngine> {
  const ort = await loadOnnxRuntime();
  const providers = onnxProviders();
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(options.model, {
      intraOpNumThreads: options.threads ?? availableParallelism(),
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: providers,
    });
  } catch (err) {
    throw new UserError(`onnxruntime could not start with providers ${providers.join(',')}: ${(err as Error).message}; unset TRANSFERKIT_ONNX_PROVIDERS or use --engine tfjs`);
  }
  const { inputSize, outputShape } = options;
  const pixels = inputSize * inputSize * 3;
  return {
    name: providers[0] === 'cpu' ? 'onnx' : `onnx-${providers[0]}`,
    engine: 'onnx',
    outputShape,
    async run(batch, n) {
      const input = new ort.Tensor('float32', batch.subarray(0, n * pixels), [n, inputSize, inputSize, 3]);
      const result = await session.run({ [ONNX_INPUT]: input });
      const features = result[ONNX_OUTPUT]!;
      // Copy out of onnxruntime's buffer: the caller keeps the array after the tensor is released.
      const out = new Float32Array(features.data as Float32Array);
      features.dispose();
      return out;
    },
    async dispose() {
      await session.release();
    },
  };
}

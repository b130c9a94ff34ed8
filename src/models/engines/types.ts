/** What every inference engine for the frozen prefix offers. */
export type EngineName = 'onnx' | 'tfjs';

/** `auto` picks onnx when onnxruntime-node loads (~10x faster on CPU), else tfjs. */
export type EngineChoice = EngineName | 'auto';

export interface PrefixEngine {
  /** Which engine runs (`onnx`, or `tfjs` with its backend, e.g. `tfjs-wasm`). */
  readonly name: string;
  readonly engine: EngineName;
  /** Feature shape of one image (NHWC at a conv-base cut) (without the batch dimension). */
  readonly outputShape: readonly number[];
  /** Numeric precision of the prefix: fp32, or int8 (quantized onnx graph). */
  readonly precision: 'fp32' | 'int8';
  /** Every cut the engine returns, `cut` first (one forward pass yields them all). */
  readonly cuts: readonly string[];
  /** Feature shape of one image at each of `cuts`. */
  readonly outputShapes: readonly (readonly number[])[];
  /**
   * Features for `n` images: `batch` holds n preprocessed NHWC float32 images (n x size x size x 3);
   * the result is n x outputShape, NHWC, a fresh array owned by the caller.
   */
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  /** Like `run`, one array per entry of `cuts`, all from the same forward pass. */
  runAll(batch: Float32Array, n: number): Promise<Float32Array[]>;
  /** Release native memory (sessions, tensors). The engine is unusable afterwards. */
  dispose(): Promise<void>;
}

/** Whether an engine can run here, and if not, why. */
export interface EngineAvailability {
  engine: EngineName;
  available: boolean;
  /** Version or backend when available; the load error otherwise. */
  detail: string;
}

/** The inference engines: onnxruntime-node, or tfjs on its active backend. */
export type EngineName = 'onnx' | 'tfjs';

/** `auto` picks onnx when onnxruntime-node loads (~10x faster on CPU), else tfjs. */
export type EngineChoice = EngineName | 'auto';

/** One image network on an engine: preprocessed NHWC float32 images in, one output per image. */
export interface NetworkEngine {
  /** Which engine runs (`onnx`, or `tfjs` with its backend, e.g. `tfjs-wasm`). */
  readonly name: string;
  readonly engine: EngineName;
  /** Output shape of one image, without the batch dimension (NHWC features at a conv-base cut). */
  readonly outputShape: readonly number[];
  /** Numeric precision of the network: fp32, or int8 (quantized onnx graph). */
  readonly precision: 'fp32' | 'int8';
  /**
   * Outputs for `n` images: `batch` holds n preprocessed NHWC float32 images (n x size x size x 3);
   * the result is n x outputShape, row-major, a fresh array owned by the caller.
   */
  run(batch: Float32Array, n: number): Promise<Float32Array>;
  /** Release native memory (sessions, tensors). The engine is unusable afterwards. */
  dispose(): Promise<void>;
}

/**
 * The frozen VGG16 prefix (`block1_conv1` … a cut) that feature extraction and the int8 guard run:
 * features at one or more cuts from one forward pass. Built by `createEngine`.
 */
export interface PrefixEngine extends NetworkEngine {
  /** Every cut the engine returns, `cut` first (one forward pass yields them all). */
  readonly cuts: readonly string[];
  /** Feature shape of one image at each of `cuts`. */
  readonly outputShapes: readonly (readonly number[])[];
  /** Like `run`, one array per entry of `cuts`, all from the same forward pass. */
  runAll(batch: Float32Array, n: number): Promise<Float32Array[]>;
}

/**
 * A run's whole stitched model (frozen prefix, trained layers and head) on onnxruntime: images in,
 * class probabilities out, for `predict` and `evaluate`. Built by `createStitchedModelEngine`.
 */
export type StitchedModelEngine = NetworkEngine;

/** Whether an engine can run here, and if not, why. */
export interface EngineAvailability {
  engine: EngineName;
  available: boolean;
  /** Version or backend when available; the load error otherwise. */
  detail: string;
}

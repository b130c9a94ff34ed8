/**
 * The two TensorFlow backends `setup tensorflow` builds, as data: which pip wheel provides
 * libtensorflow and its headers, and which tfjs-node package receives the addon built against it.
 */
import { join } from 'node:path';
import { transferkitHome } from '../../util/user-dirs.ts';

export type TensorflowVariant = 'cpu' | 'gpu';

/** The TensorFlow release we build against by default: the one the Keras oracle pins. */
export const DEFAULT_TENSORFLOW_VERSION = '2.20.0';

export interface VariantSpec {
  /** transferkit's backend name (src/backend/candidates.ts). */
  backend: 'tensorflow' | 'tensorflow-gpu';
  /** The npm package whose addon we build. */
  npmPackage: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';
  /** The pip distribution holding libtensorflow_cc.so.2 (its name in pip metadata). */
  pipPackage: 'tensorflow-cpu' | 'tensorflow';
  /** Extras to install with it: the GPU wheel brings CUDA 12 and cuDNN as nvidia-* pip packages. */
  pipExtras: string;
  /**
   * Whether pip installs the wheel's dependencies. The addon needs only the wheel's shared libraries
   * and headers, so the CPU variant skips numpy, keras and friends (~300 MB); the GPU variant needs
   * the nvidia-* dependencies its libtensorflow_framework.so.2 finds through its RUNPATH.
   */
  withDependencies: boolean;
  /** A distribution the extras bring: a venv with the wheel but without it gets the extras installed. */
  extrasMarker: string | null;
}

export const VARIANTS: Record<TensorflowVariant, VariantSpec> = {
  cpu: { backend: 'tensorflow', npmPackage: '@tensorflow/tfjs-node', pipPackage: 'tensorflow-cpu', pipExtras: '', withDependencies: false, extrasMarker: null },
  gpu: { backend: 'tensorflow-gpu', npmPackage: '@tensorflow/tfjs-node-gpu', pipPackage: 'tensorflow', pipExtras: '[and-cuda]', withDependencies: true, extrasMarker: 'nvidia-cudnn-cu12' },
};

/** The variant's private folder: its venv and the addon's build directory. */
export function variantDir(variant: TensorflowVariant, env: NodeJS.ProcessEnv = process.env): string {
  return join(transferkitHome(env), 'tensorflow', variant);
}

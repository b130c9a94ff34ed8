import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/** Minimal first version: wasm, else cpu. The backend module replaces this with the full chain. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
}

export async function initBackend(preference?: BackendName): Promise<BackendInfo> {
  const want = preference ?? 'wasm';
  if (await tf.setBackend(want === 'cpu' ? 'cpu' : 'wasm')) return { name: tf.getBackend() as BackendName };
  await tf.setBackend('cpu');
  return { name: 'cpu' };
}

/**
 * The prefix fingerprint: what determines a feature besides the image. Any change to the weights,
 * cut, input size, resize mode or preprocessing gives a new fingerprint, so a cache lookup can never
 * return features computed under other settings. The engine is deliberately not part of it: onnx
 * and tfjs compute the same function (to 1e-4), so their features are interchangeable. Precision
 * is: int8 features (and each calibration's) never answer an fp32 request.
 */
import { createHash } from 'node:crypto';
import type { ResizeMode } from '../data/decode.ts';
import { hashFile } from '../data/hash.ts';
import type { KerasFile } from '../keras/types.ts';

/** Bump when the feature layout or the key scheme changes, to orphan every older entry. */
const SCHEME = 'transferkit-features-v1';

export interface PrefixIdentity {
  /** SHA-256 of the weights (file bytes, or `kerasFileHash` for in-memory weights). */
  weightsHash: string;
  /** Last layer of the frozen prefix, e.g. `block5_pool`. */
  cut: string;
  /** Square input side in pixels. */
  inputSize: number;
  /** How images are fitted to the input size. */
  resize: ResizeMode;
  /** Preprocessing id, e.g. `caffe` (Keras preprocess_input mode). */
  preprocessing: string;
  /** `int8:<calibration fingerprint>` for int8 features; absent for fp32 (whose keys predate it). */
  precision?: string;
}

/** Hex SHA-256 over the identity in a fixed field order. */
export function prefixFingerprint(id: PrefixIdentity): string {
  const canonical = [SCHEME, id.weightsHash, id.cut, id.inputSize, id.resize, id.preprocessing, ...(id.precision ? [id.precision] : [])].join('\n');
  return createHash('sha256').update(canonical).digest('hex');
}

/** SHA-256 of in-memory weights: layer names, weight shapes and values, in file order. */
export function kerasFileHash(file: KerasFile): string {
  const h = createHash('sha256');
  for (const layer of file.layers) {
    h.update(`layer ${layer.name}\n`);
    for (const w of layer.weights) {
      h.update(`${w.shape.join('x')}\n`);
      h.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
    }
  }
  return h.digest('hex');
}

/** The weights hash for either form `createEngine` accepts. */
export function weightsHash(weights: KerasFile | string): Promise<string> {
  return typeof weights === 'string' ? hashFile(weights) : Promise.resolve(kerasFileHash(weights));
}

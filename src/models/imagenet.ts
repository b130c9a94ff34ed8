import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { OFFICIAL_FILES, officialFilePath } from './fetch.ts';

/** Keras's `imagenet_class_index.json` where `transferkit fetch-weights` (or Keras) put it. */
export function defaultClassIndexPath(): string {
  return officialFilePath(OFFICIAL_FILES.classIndex);
}

/** One class: its WordNet id and human label, by output index. */
export interface ImagenetClass {
  wnid: string;
  label: string;
}

/** Class names by output index (Keras `imagenet_class_index.json`, or any file in that format). */
export type ClassIndex = readonly ImagenetClass[];

/** One decoded prediction, as Keras `decode_predictions` gives (plus the index). */
export interface DecodedPrediction {
  index: number;
  wnid: string;
  label: string;
  probability: number;
}

// {"0": ["n01440764", "tench"], ...}: keys must be exactly 0..n-1.
const classIndexSchema = z.record(z.string().regex(/^\d+$/), z.tuple([z.string(), z.string()]));

const cache = new Map<string, ClassIndex>();

/** Read and check a class index file; cached per path because predictions decode it repeatedly. */
export function loadClassIndex(path: string = defaultClassIndexPath()): ClassIndex {
  const cached = cache.get(path);
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(
      `Class index ${path} not found; run \`transferkit fetch-weights\` to download imagenet_class_index.json, or pass --labels FILE.`,
    );
  }
  let parsed: z.output<typeof classIndexSchema>;
  try {
    parsed = classIndexSchema.parse(JSON.parse(text));
  } catch {
    throw new UserError(`Class index ${path} is not in imagenet_class_index.json format ({"0": ["n01440764", "tench"], ...}).`);
  }
  const n = Object.keys(parsed).length;
  const classes: ImagenetClass[] = [];
  for (let i = 0; i < n; i++) {
    const entry = parsed[String(i)];
    if (!entry) throw new UserError(`Class index ${path} has ${n} entries but no key "${i}"; keys must be 0..${n - 1}.`);
    classes.push({ wnid: entry[0], label: entry[1] });
  }
  cache.set(path, classes);
  return classes;
}

/**
 * Keras `decode_predictions`: the `top` most probable classes of each row of `probs`
 * (`[n, classes]`), highest first. `classIndex` is a loaded index or a path (default: {@link defaultClassIndexPath}).
 */
export function decodePredictions(
  probs: tf.Tensor | readonly ArrayLike<number>[],
  top = 5,
  classIndex: ClassIndex | string = defaultClassIndexPath(),
): DecodedPrediction[][] {
  const rows = probs instanceof tf.Tensor ? tensorRows(probs) : probs;
  const classes = typeof classIndex === 'string' ? loadClassIndex(classIndex) : classIndex;
  return rows.map((row) => {
    if (row.length !== classes.length) {
      throw new UserError(`Predictions have ${row.length} classes but the class index has ${classes.length}; pass the matching --labels file.`);
    }
    const order = Array.from({ length: row.length }, (_, i) => i).sort((a, b) => (row[b] ?? 0) - (row[a] ?? 0) || a - b);
    return order.slice(0, top).map((index) => ({ index, ...classes[index]!, probability: row[index]! }));
  });
}

function tensorRows(probs: tf.Tensor): Float32Array[] {
  if (probs.rank !== 2) throw new UserError(`decodePredictions expects a [batch, classes] tensor, got shape [${probs.shape.join(', ')}].`);
  const [n, c] = probs.shape as [number, number];
  const data = probs.dataSync() as Float32Array;
  return Array.from({ length: n }, (_, i) => data.subarray(i * c, (i + 1) * c));
}

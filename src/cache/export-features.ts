/**
 * Export cached features of a dataset for Python users: `.npy` (features, labels) + classes JSON,
 * or one HDF5 file (datasets `features`, `labels`; attr `class_names`). Per split, in dataset order.
 */
import { join } from 'node:path';
import type { Dataset, SplitName } from '../data/dataset.ts';
import { splitNames } from '../data/dataset.ts';
import { writeStringList } from '../keras/h5-attrs.ts';
import { loadH5 } from '../keras/h5.ts';
import { atomicWrite, writeFileAtomic } from '../util/atomic.ts';
import { loadFeatures, type PrefixOptions } from './extract-features.ts';

export type ExportFormat = 'npy' | 'h5';

/** A NumPy v1.0 `.npy` file: magic, little-endian header dict padded to 64 bytes, raw data. */
export function npyBytes(data: Float32Array | Int32Array, shape: readonly number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Write each split's features and labels under `outDir`; returns the files written. */
export async function exportFeatures(dataset: Dataset, prefix: PrefixOptions, format: ExportFormat, outDir: string): Promise<string[]> {
  const written: string[] = [];
  const splits: Array<{ split: SplitName; features: Float32Array; shape: number[]; labels: Int32Array }> = [];
  for (const split of splitNames(dataset)) {
    const items = dataset.splits[split] ?? [];
    if (items.length === 0) continue;
    const { features, shape } = await loadFeatures(items, prefix);
    splits.push({ split, features, shape, labels: Int32Array.from(items, (i) => i.classIndex) });
  }
  if (format === 'npy') {
    for (const s of splits) {
      for (const [name, bytes] of [
        [`${s.split}_features.npy`, npyBytes(s.features, s.shape)],
        [`${s.split}_labels.npy`, npyBytes(s.labels, [s.labels.length])],
      ] as const) {
        await writeFileAtomic(join(outDir, name), bytes);
        written.push(join(outDir, name));
      }
    }
    const classes = join(outDir, 'classes.json');
    await writeFileAtomic(classes, JSON.stringify(dataset.classes, null, 2) + '\n');
    return [...written, classes];
  }
  const h5wasm = await loadH5();
  const file = join(outDir, 'features.h5');
  await atomicWrite(file, async (temp) => {
    const h5 = new h5wasm.File(temp, 'w');
    try {
      writeStringList(h5, 'class_names', dataset.classes);
      for (const s of splits) {
        const group = h5.create_group(s.split);
        group.create_dataset({ name: 'features', data: s.features, shape: s.shape, dtype: '<f' });
        group.create_dataset({ name: 'labels', data: s.labels, shape: [s.labels.length], dtype: '<i' });
      }
    } finally {
      h5.close();
    }
  });
  return [file];
}

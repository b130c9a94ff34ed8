import type { KerasFile, KerasFileFormat } from './types.ts';

/** What `transferkit inspect` shows about a Keras file: plain data, printable or JSON. */
export interface KerasFileDescription {
  path: string;
  format: KerasFileFormat;
  /** null when the file does not say (Keras 1 files, Keras 3 `.weights.h5`). */
  kerasVersion: string | null;
  backend: string | null;
  /** `name` is the layer's own name (from the config in a `.keras`); `path` its Keras 3 weights group, when it has one. */
  layers: { name: string; path?: string; params: number; weights: { name: string; shape: number[] }[] }[];
  /** Model weights only; optimizer state in full-model files is not counted. */
  totalParams: number;
}

const FORMAT_NAMES: Record<KerasFileFormat, string> = {
  'legacy-weights': 'Keras 1/2 save_weights (HDF5)',
  'legacy-model': 'Keras 1/2 full model (HDF5: model_config + model_weights)',
  'keras3-weights': 'Keras 3 .weights.h5 (HDF5)',
  'keras-archive': 'Keras 3 .keras archive (zip)',
};

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Summarise a read file: every layer with its weight names and shapes, and parameter counts. */
export function describeKerasFile(file: KerasFile): KerasFileDescription {
  const layers = file.layers.map((l) => ({
    name: l.name,
    ...(l.path !== undefined && { path: l.path }),
    params: l.weights.reduce((sum, w) => sum + count(w.shape), 0),
    weights: l.weights.map((w) => ({ name: w.name, shape: w.shape })),
  }));
  return {
    path: file.path,
    format: file.format,
    kerasVersion: file.kerasVersion ?? null,
    backend: file.backend ?? null,
    layers,
    totalParams: layers.reduce((sum, l) => sum + l.params, 0),
  };
}

/** `1234567` → `1,234,567`, as Keras prints parameter counts. */
const grouped = (n: number) => n.toLocaleString('en-US');

/** The human-readable report: header, one line per layer and per weight, total. */
export function formatKerasFileDescription(d: KerasFileDescription): string {
  const lines = [
    `File:          ${d.path}`,
    `Format:        ${FORMAT_NAMES[d.format]}`,
    `keras_version: ${d.kerasVersion ?? '(not recorded)'}`,
    `backend:       ${d.backend ?? '(not recorded)'}`,
    '',
    `Layers (${d.layers.length}):`,
  ];
  for (const layer of d.layers) {
    const where = layer.path !== undefined && !layer.path.endsWith(`/${layer.name}`) ? ` (${layer.path})` : '';
    lines.push(`  ${layer.name}${where}${layer.weights.length === 0 ? '  (no weights)' : `  ${grouped(layer.params)} params`}`);
    for (const w of layer.weights) lines.push(`    ${w.name}  (${w.shape.join(', ')})`);
  }
  lines.push('', `Total params: ${grouped(d.totalParams)}`);
  return lines.join('\n');
}

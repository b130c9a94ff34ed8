// Test fixtures: Keras files written with raw h5wasm in the layouts historic Keras versions produced,
// independent of our writer, so the reader is checked against the real layouts, not against itself.
import { ensureGroup, loadH5, type Group } from '../src/keras/h5.ts';

/** Deterministic, non-trivial float32 values (distinct per tensor via `seed`). */
export function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sin(seed * 1000 + i * 0.37) * (1 + seed / 7);
  return out;
}

/** How a fixture writes its string attributes. */
export type StringStyle = 'fixed' | 'vlen' | 'fortran';

export function stringListAttr(obj: Group, name: string, list: string[], style: StringStyle): void {
  if (list.length === 0) {
    obj.create_attribute(name, new Float64Array(0), [0], '<d');
    return;
  }
  const width = Math.max(...list.map((s) => s.length));
  // 'A<n>': C strings as numpy `S<n>`; 'S<n>': h5wasm's space-padded Fortran strings; undefined: vlen.
  const dtype = style === 'fixed' ? `A${width}` : style === 'fortran' ? `S${width}` : undefined;
  obj.create_attribute(name, list, [list.length], dtype ?? null);
}

export function stringAttr(obj: Group, name: string, value: string, style: StringStyle): void {
  if (style === 'vlen') obj.create_attribute(name, value);
  else obj.create_attribute(name, value, null, `${style === 'fixed' ? 'A' : 'S'}${value.length}`);
}

export interface FixtureWeight {
  name: string;
  shape: number[];
  data: Float32Array;
  /** HDF5 dtype to store ('<d' float64, '<i' int32, …); default '<f' (float32). */
  dtype?: string;
}

export interface FixtureLayer {
  name: string;
  weights: FixtureWeight[];
}

export interface LegacyFixture {
  layers: FixtureLayer[];
  kerasVersion?: string;
  backend?: string;
  style?: StringStyle;
  /** Split layer_names into `layer_names0`, `layer_names1`, … as Keras does past 64 KiB. */
  chunkLayerNames?: boolean;
}

function writeDataset(group: Group, w: FixtureWeight): void {
  const slash = w.name.lastIndexOf('/');
  const parent = slash < 0 ? group : ensureGroup(group, w.name.slice(0, slash));
  parent.create_dataset({ name: w.name.slice(slash + 1), data: w.dtype === '<d' ? Float64Array.from(w.data) : w.data, shape: w.shape, dtype: w.dtype ?? '<f' });
}

/** The Keras 1/2 `save_weights` layout into `root` (the file root or `model_weights`). */
export function writeLegacyGroup(root: Group, f: LegacyFixture): void {
  const style = f.style ?? 'fixed';
  const names = f.layers.map((l) => l.name);
  if (f.chunkLayerNames) {
    const half = Math.ceil(names.length / 2);
    stringListAttr(root, 'layer_names0', names.slice(0, half), style);
    stringListAttr(root, 'layer_names1', names.slice(half), style);
  } else {
    stringListAttr(root, 'layer_names', names, style);
  }
  if (f.kerasVersion !== undefined) stringAttr(root, 'keras_version', f.kerasVersion, style);
  if (f.backend !== undefined) stringAttr(root, 'backend', f.backend, style);
  for (const layer of f.layers) {
    const group = root.create_group(layer.name);
    stringListAttr(group, 'weight_names', layer.weights.map((w) => w.name), style);
    for (const w of layer.weights) writeDataset(group, w);
  }
}

export async function writeLegacyFixture(path: string, f: LegacyFixture): Promise<void> {
  const h5wasm = await loadH5();
  const h5 = new h5wasm.File(path, 'w');
  try {
    writeLegacyGroup(h5, f);
  } finally {
    h5.close();
  }
}

/** A Keras 2 full-model `.h5`: model_config / training_config attrs, model_weights, optimizer_weights. */
export async function writeFullModelFixture(
  path: string,
  f: LegacyFixture & { modelConfig: unknown; trainingConfig?: unknown },
): Promise<void> {
  const h5wasm = await loadH5();
  const h5 = new h5wasm.File(path, 'w');
  try {
    const style = f.style ?? 'vlen';
    if (f.kerasVersion !== undefined) stringAttr(h5, 'keras_version', f.kerasVersion, style);
    if (f.backend !== undefined) stringAttr(h5, 'backend', f.backend, style);
    h5.create_attribute('model_config', JSON.stringify(f.modelConfig));
    if (f.trainingConfig !== undefined) h5.create_attribute('training_config', JSON.stringify(f.trainingConfig));
    writeLegacyGroup(h5.create_group('model_weights'), { ...f, style });
    const opt = h5.create_group('optimizer_weights');
    stringListAttr(opt, 'weight_names', ['Adam/iter:0', 'Adam/dense/kernel/m:0'], 'fixed');
    ensureGroup(opt, 'Adam').create_dataset({ name: 'iter:0', data: new BigInt64Array([3n]), shape: [], dtype: '<q' });
    writeDataset(opt, { name: 'Adam/dense/kernel/m:0', shape: [2, 2], data: values(4, 99) });
  } finally {
    h5.close();
  }
}

/** A Keras 3 variable tree: `{ vars: [...] }` for a layer, `{ layers: {...} }` for a nested model. */
export interface Keras3Node {
  vars?: FixtureWeight[];
  layers?: Record<string, Keras3Node>;
  /** Sub-objects a composite layer owns (e.g. MultiHeadAttention's `query_dense`). */
  children?: Record<string, Keras3Node>;
}

function writeKeras3Node(group: Group, node: Keras3Node): void {
  const vars = group.create_group('vars');
  (node.vars ?? []).forEach((w, i) => writeDataset(vars, { ...w, name: String(i) }));
  if (node.layers) {
    const layers = group.create_group('layers');
    for (const [name, child] of Object.entries(node.layers)) writeKeras3Node(layers.create_group(name), child);
  }
  for (const [name, child] of Object.entries(node.children ?? {})) writeKeras3Node(group.create_group(name), child);
}

/** A Keras 3 `.weights.h5`: `layers/<name>/vars/<i>`, plus `optimizer/vars` and the model's own `vars`. */
export async function writeKeras3Fixture(path: string, root: Record<string, Keras3Node>): Promise<void> {
  const h5wasm = await loadH5();
  const h5 = new h5wasm.File(path, 'w');
  try {
    writeKeras3Node(h5, { layers: root });
    const opt = h5.create_group('optimizer').create_group('vars');
    writeDataset(opt, { name: '0', shape: [], data: new Float32Array([7]) });
    writeDataset(opt, { name: '1', shape: [2, 2], data: values(4, 42) });
  } finally {
    h5.close();
  }
}

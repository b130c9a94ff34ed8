import type { Dataset, Group } from './h5.ts';

type HasAttrs = Group | Dataset;

/** Root attribute `transferkit init-weights` writes: its value says how the weights were drawn. */
export const RANDOM_INIT_ATTR = 'transferkit_random_init';

/**
 * Keras splits an attribute bigger than HDF5's 64 KiB object-header limit into `name0`, `name1`, …
 * (`save_attributes_to_hdf5_group`); we stay below the same limit when writing.
 */
const HDF5_OBJECT_HEADER_LIMIT = 64512;

/** Strings from any string attribute form: fixed-length (numpy `S`), variable-length, scalar or array. */
function decodeStrings(value: unknown, strpad: number | undefined): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [strpad === 2 ? value.trimEnd() : value];
  if (Array.isArray(value)) return value.flatMap((v) => decodeStrings(v, strpad));
  // Keras writes an empty `weight_names` as an empty float64 numpy array.
  if (ArrayBuffer.isView(value) && (value as unknown as ArrayLike<unknown>).length === 0) return [];
  throw new TypeError(`expected a string attribute, found ${Object.prototype.toString.call(value)}`);
}

/** A string-list attribute (`layer_names`, `weight_names`), following Keras's chunked form; undefined when absent. */
export function readStringList(obj: HasAttrs, name: string): string[] | undefined {
  const attrs = obj.attrs;
  const whole = attrs[name];
  if (whole) return decodeStrings(whole.value, whole.metadata.strpad);
  if (!attrs[`${name}0`]) return undefined;
  const out: string[] = [];
  for (let i = 0; attrs[`${name}${i}`]; i++) {
    const chunk = attrs[`${name}${i}`]!;
    out.push(...decodeStrings(chunk.value, chunk.metadata.strpad));
  }
  return out;
}

/** A scalar string attribute (`keras_version`, `backend`, `model_config`); undefined when absent. */
export function readString(obj: HasAttrs, name: string): string | undefined {
  const attr = obj.attrs[name];
  if (!attr) return undefined;
  return decodeStrings(attr.value, attr.metadata.strpad)[0];
}

/** Bytes one fixed-length string needs: UTF-8 length plus a terminator (h5wasm writes NULLTERM). */
function fixedWidth(values: string[]): number {
  const encoder = new TextEncoder();
  return Math.max(1, ...values.map((v) => encoder.encode(v).length)) + 1;
}

/**
 * A fixed-length ASCII byte-string attribute, which h5py reads as numpy `S<n>` (bytes with
 * `.decode`) exactly as Keras's `load_weights` expects. h5wasm can only write NULLTERM (not numpy's
 * NULLPAD), so each field gets one spare byte for the terminator; readers see identical strings.
 */
export function writeString(obj: HasAttrs, name: string, value: string): void {
  obj.create_attribute(name, value, null, `A${fixedWidth([value])}`);
}

/**
 * A string-list attribute in Keras's layout: one `S<n>` array, or chunks `name0`, `name1`, … when it
 * would exceed the object-header limit. An empty list is an empty float64 array, as numpy writes `[]`.
 */
export function writeStringList(obj: HasAttrs, name: string, values: string[]): void {
  if (values.length === 0) {
    obj.create_attribute(name, new Float64Array(0), [0], '<d');
    return;
  }
  const width = fixedWidth(values);
  const chunks = Math.ceil((width * values.length) / HDF5_OBJECT_HEADER_LIMIT);
  if (chunks <= 1) {
    obj.create_attribute(name, values, [values.length], `A${width}`);
    return;
  }
  const perChunk = Math.ceil(values.length / chunks);
  for (let i = 0; i * perChunk < values.length; i++) {
    const part = values.slice(i * perChunk, (i + 1) * perChunk);
    obj.create_attribute(`${name}${i}`, part, [part.length], `A${width}`);
  }
}

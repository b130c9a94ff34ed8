import { h5, type Dataset } from './h5.ts';
import type { WeightTensor } from './types.ts';

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;

/** IEEE 754 half precision to a JS number. */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The raw stored bytes: h5wasm's `value` refuses float16, so read it in the file's own type. */
function rawBytes(ds: Dataset, nbytes: number): Uint8Array {
  const { Module } = h5();
  const ptr = Module._malloc(nbytes);
  try {
    Module.get_dataset_data(ds.file_id, ds.path, null, null, null, BigInt(ptr));
    return Module.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    Module._free(ptr);
  }
}

function float16Data(ds: Dataset, count: number, littleEndian: boolean): Float32Array {
  const bytes = rawBytes(ds, count * 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, littleEndian));
  return out;
}

/**
 * A dataset as a float32 weight tensor. Keras stores float32, but mixed-precision and hand-made files
 * hold float16/float64 (or integers); every model consumer here wants Float32Array.
 * Throws a plain Error with the reason; callers add the file and layer.
 */
export function readWeightTensor(ds: Dataset, name: string): WeightTensor {
  const meta = ds.metadata;
  const shape = ds.shape ?? [];
  const count = shape.reduce((a, b) => a * b, 1);
  if (meta.type !== H5T_FLOAT && meta.type !== H5T_INTEGER) {
    throw new Error(`dataset ${ds.path} is not numeric (HDF5 type class ${meta.type})`);
  }
  if (meta.type === H5T_FLOAT && meta.size === 2) {
    return { name, shape, data: float16Data(ds, count, meta.littleEndian) };
  }
  const value = ds.value;
  let data: Float32Array;
  if (value instanceof Float32Array) data = value;
  else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) data = Float32Array.from(value as ArrayLike<number>, Number);
  else if (typeof value === 'number' || typeof value === 'bigint') data = Float32Array.of(Number(value));
  else throw new Error(`dataset ${ds.path} could not be read as numbers`);
  if (data.length !== count) throw new Error(`dataset ${ds.path} holds ${data.length} values for shape [${shape.join(', ')}]`);
  return { name, shape, data };
}

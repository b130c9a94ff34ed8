/**
 * A small ONNX graph builder over the generated `onnx-proto` messages (protobufjs): enough operators
 * for the frozen VGG16 prefix and for whole trained models (dense heads, pooling, batch norm).
 * Tensors are float32 unless stated; weights travel as `raw_data` (little-endian, as ONNX requires).
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

/** Opset 13: Softmax over one axis (Keras semantics), Reshape with shape input, BatchNormalization-9+. */
export const ONNX_OPSET = 13;
/** IR version 7 pairs with opset 13 and is read by every onnxruntime since 1.6. */
const IR_VERSION = 7;

/** A dimension: a fixed size, or a symbolic name such as `batch`. */
export type Dim = number | string;

type AttrValue = number | number[] | string;

/** Which attribute values are integers (the rest of the numbers are floats). */
const FLOAT_ATTRS = new Set(['epsilon', 'alpha', 'beta', 'momentum']);

function attribute(name: string, value: AttrValue): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (FLOAT_ATTRS.has(name)) return { name, type: T.FLOAT, f: value };
  return { name, type: T.INT, i: value };
}

function valueInfo(name: string, shape: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** Little-endian bytes of a typed array (copied, so later edits to the source do not leak in). */
function rawBytes(data: Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/** Keras/TF kernel HWIO (kh, kw, in, out) -> ONNX OIHW (out, in, kh, kw). */
export function hwioToOihw(kernel: Float32Array, shape: readonly number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = kernel[((y * kw + x) * cin + i) * cout + o]!;
  return { data: out, dims: [cout, cin, kh, kw] };
}

/**
 * Builds one ONNX graph. Each operator method takes input value names and returns the output
 * value name, so graphs read as a chain: `x = g.relu(g.conv(x, w, b, {...}))`.
 */
export class OnnxGraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly graphName: string) {}

  /** A fresh value name with a readable prefix. */
  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  /** Mark `value` as a graph output named `name` (an Identity node renames it when needed). */
  output(value: string, name: string, shape: readonly Dim[]): void {
    if (value !== name) this.node('Identity', [value], { output: name });
    this.outputs.push(valueInfo(name, shape));
  }

  /** A float32 constant (weights, biases). */
  constant(name: string, dims: readonly number[], data: Float32Array): string {
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: rawBytes(data) });
    return name;
  }

  /** A quantized-graph constant: int8 weights, int32 biases, uint8 / int8 / int32 zero points. */
  constantInt(name: string, dims: readonly number[], data: Int8Array | Uint8Array | Int32Array): string {
    const T = onnx.TensorProto.DataType;
    const dataType = data instanceof Int8Array ? T.INT8 : data instanceof Uint8Array ? T.UINT8 : T.INT32;
    this.initializers.push({ name, dims: [...dims], dataType, rawData: rawBytes(data) });
    return name;
  }

  /** `QuantizeLinear(x, scale, zeroPoint)`; `axis` for per-channel parameters. */
  quantize(x: string, scale: string, zeroPoint: string, axis?: number): string {
    return this.node('QuantizeLinear', [x, scale, zeroPoint], axis === undefined ? {} : { attrs: { axis } });
  }

  /** `DequantizeLinear(x, scale, zeroPoint)`; `axis` for per-channel parameters. */
  dequantize(x: string, scale: string, zeroPoint: string, axis?: number): string {
    return this.node('DequantizeLinear', [x, scale, zeroPoint], axis === undefined ? {} : { attrs: { axis } });
  }

  /** An int64 constant (shapes for Reshape). */
  constantInt64(name: string, values: readonly number[]): string {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: rawBytes(data) });
    return name;
  }

  /** Any operator; `output` names the result (default: a fresh name from the op type). */
  node(opType: string, inputs: readonly string[], options: { output?: string; attrs?: Record<string, AttrValue> } = {}): string {
    const output = options.output ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      name: `${opType}_${this.nodes.length}`,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(options.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.node('Transpose', [x], { attrs: { perm: [...perm] } });
  }

  /** NCHW convolution; `pads` is [top, left, bottom, right]. */
  conv(x: string, weight: string, bias: string | undefined, attrs: { kernel: number[]; strides?: number[]; pads?: number[] }): string {
    return this.node('Conv', bias === undefined ? [x, weight] : [x, weight, bias], {
      attrs: { kernel_shape: attrs.kernel, strides: attrs.strides ?? [1, 1], pads: attrs.pads ?? [0, 0, 0, 0] },
    });
  }

  relu(x: string): string {
    return this.node('Relu', [x]);
  }

  maxPool(x: string, kernel: number[], strides: number[] = kernel): string {
    return this.node('MaxPool', [x], { attrs: { kernel_shape: kernel, strides } });
  }

  globalAveragePool(x: string): string {
    return this.node('GlobalAveragePool', [x]);
  }

  globalMaxPool(x: string): string {
    return this.node('GlobalMaxPool', [x]);
  }

  /** `y = x @ W + b` with Keras's (in, out) kernel layout. */
  gemm(x: string, weight: string, bias: string): string {
    return this.node('Gemm', [x, weight, bias]);
  }

  matMul(a: string, b: string): string {
    return this.node('MatMul', [a, b]);
  }

  add(a: string, b: string): string {
    return this.node('Add', [a, b]);
  }

  flatten(x: string, axis = 1): string {
    return this.node('Flatten', [x], { attrs: { axis } });
  }

  reshape(x: string, shape: readonly number[]): string {
    return this.node('Reshape', [x, this.constantInt64(this.fresh('shape'), shape)]);
  }

  softmax(x: string, axis = -1): string {
    return this.node('Softmax', [x], { attrs: { axis } });
  }

  sigmoid(x: string): string {
    return this.node('Sigmoid', [x]);
  }

  /** Inference-mode batch norm over axis 1 (NCHW channels): scale, bias, mean, var are constants. */
  batchNormalization(x: string, scale: string, bias: string, mean: string, variance: string, epsilon = 1e-3): string {
    return this.node('BatchNormalization', [x, scale, bias, mean, variance], { attrs: { epsilon } });
  }

  /** The serialised `ModelProto`. */
  toBytes(meta: { producerVersion?: string; docString?: string } = {}): Uint8Array {
    const model: OnnxTypes.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'transferkit',
      producerVersion: meta.producerVersion ?? '',
      docString: meta.docString ?? '',
      graph: { name: this.graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

/**
 * The VGG16 conv base as one ONNX graph with an output at every requested cut, so one forward pass
 * yields the features of several cuts. In fp32, or as a QDQ int8 graph (opset 13): symmetric
 * per-output-channel int8 weights, int32 biases, and uint8 activations whose ranges come from a
 * calibration. onnxruntime fuses each `DQ -> Conv -> Relu -> Q` into QLinearConv and runs MaxPool on
 * uint8 (same scale in and out); the graph's inputs and outputs stay float32 NHWC like the fp32 one.
 */
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors.ts';
import { OnnxGraphBuilder, hwioToOihw } from './onnx-graph.ts';
import { ONNX_INPUT } from './layers-to-onnx.ts';

/** One layer of the conv base, with its weights (convs) read from the built tfjs prefix. */
export interface PrefixLayer {
  name: string;
  kind: 'conv' | 'pool';
  /** Conv kernel, OIHW (ONNX layout: every graph built from the layer uses it as it is). */
  kernel?: { data: Float32Array; dims: number[] };
  bias?: Float32Array;
}

/** What the int8 graph needs from a calibration. */
export interface Int8Ranges {
  /** Range [min, max] of the preprocessed input. */
  input: [number, number];
  /** Upper end of each conv's post-ReLU output range, by Keras layer name. */
  activations: Record<string, number>;
  /**
   * Weight bits: 8, or 7 on CPUs without VNNI, where the AVX2 u8 x s8 kernel adds pairs of products
   * in int16: 2 x 255 x 127 overflows it, 2 x 255 x 63 does not (onnxruntime's `reduce_range`).
   */
  weightBits: 7 | 8;
}

export interface PrefixGraphOptions {
  inputSize: number;
  /** Layer names whose outputs the graph returns (NHWC float32), named after the layer. */
  outputs: readonly string[];
  /** Build the QDQ int8 graph with these ranges; fp32 when absent. */
  int8?: Int8Ranges;
  docString?: string;
}

/** The conv base's layers of a tfjs VGG16 prefix (InputLayer skipped), with conv weights copied out. */
export function prefixLayers(model: tf.LayersModel): PrefixLayer[] {
  return model.layers.flatMap((layer): PrefixLayer[] => {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') return [];
    if (cls === 'MaxPooling2D') return [{ name: layer.name, kind: 'pool' }];
    if (cls !== 'Conv2D') throw new UserError(`layer '${layer.name}' (${cls}) is not part of the VGG16 conv base; multi-cut and int8 graphs cover block1_conv1 … block5_pool`);
    const [kernel, bias] = layer.getWeights();
    return [{ name: layer.name, kind: 'conv', kernel: hwioToOihw(kernel!.dataSync() as Float32Array, kernel!.shape), bias: bias!.dataSync() as Float32Array }];
  });
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];
const UINT8_MAX = 255;

/** Per-output-channel symmetric quantization of an OIHW kernel: int8 values and one scale per channel. */
export function quantizeKernel(oihw: Float32Array, outChannels: number, bits: 7 | 8): { q: Int8Array; scales: Float32Array } {
  const qmax = 2 ** (bits - 1) - 1;
  const per = oihw.length / outChannels;
  const q = new Int8Array(oihw.length);
  const scales = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    let max = 0;
    for (let i = c * per; i < (c + 1) * per; i++) max = Math.max(max, Math.abs(oihw[i]!));
    // An all-zero channel still needs a positive scale (ONNX requires it).
    const scale = max > 0 ? max / qmax : 1;
    scales[c] = scale;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.max(-qmax, Math.min(qmax, Math.round(oihw[i]! / scale)));
  }
  return { q, scales };
}

/**
 * Quantized kernels by layer and weight bits: a run builds up to three graphs from the same layers
 * (calibration, guard, extraction), and quantizing VGG16's 14.7M weights cost ~0.3 s each time.
 */
const quantizedKernels = new WeakMap<PrefixLayer, Map<number, { q: Int8Array; scales: Float32Array }>>();

function quantizedKernel(layer: PrefixLayer, bits: 7 | 8): { q: Int8Array; scales: Float32Array } {
  let byBits = quantizedKernels.get(layer);
  if (!byBits) quantizedKernels.set(layer, (byBits = new Map()));
  let quantized = byBits.get(bits);
  if (!quantized) byBits.set(bits, (quantized = quantizeKernel(layer.kernel!.data, layer.kernel!.dims[0]!, bits)));
  return quantized;
}

/** uint8 scale and zero point for a range that must contain 0 (ONNX asymmetric quantization). */
export function uint8Params(min: number, max: number): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  const scale = hi > lo ? (hi - lo) / UINT8_MAX : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(UINT8_MAX, Math.round(-lo / scale))) };
}

/** Serialised ONNX model of the conv base up to the deepest of `outputs`. */
export function prefixGraph(layers: readonly PrefixLayer[], options: PrefixGraphOptions): Uint8Array {
  const wanted = new Set(options.outputs);
  const last = Math.max(...options.outputs.map((o) => layers.findIndex((l) => l.name === o)));
  const unknown = options.outputs.filter((o) => !layers.some((l) => l.name === o));
  if (unknown.length > 0 || options.outputs.length === 0) throw new UserError(`cut(s) ${unknown.join(', ') || '(none)'} are not in the VGG16 conv base; expected block1_conv1 … block5_pool`);
  const g = new OnnxGraphBuilder('vgg16_prefix');
  const s = options.inputSize;
  const x0 = g.transpose(g.input(ONNX_INPUT, ['batch', s, s, 3]), TO_NCHW);
  const q8 = options.int8;
  const scalar = (name: string, v: number): string => g.constant(name, [], Float32Array.of(v));
  const zeroU8 = (name: string, v: number): string => g.constantInt(name, [], Uint8Array.of(v));
  // In int8, `cur` is a uint8 value with its (scale, zero point) constants; in fp32 a float value.
  let cur = x0;
  let qp: { scale: string; zp: string; scaleValue: number } | undefined;
  if (q8) {
    const p = uint8Params(q8.input[0], q8.input[1]);
    qp = { scale: scalar('input/scale', p.scale), zp: zeroU8('input/zero_point', p.zeroPoint), scaleValue: p.scale };
    cur = g.quantize(x0, qp.scale, qp.zp);
  }
  // A fresh DequantizeLinear per consumer: onnxruntime fuses a DQ only into a node it alone feeds.
  const dq = (): string => g.dequantize(cur, qp!.scale, qp!.zp);
  for (const layer of layers.slice(0, last + 1)) {
    if (layer.kind === 'pool') {
      const pool = (x: string): string => g.maxPool(x, [2, 2]);
      cur = qp ? g.quantize(pool(dq()), qp.scale, qp.zp) : pool(cur);
    } else {
      const w = layer.kernel!;
      const cout = w.dims[0]!;
      const attrs = { kernel: w.dims.slice(2), pads: [1, 1, 1, 1] };
      if (!qp) {
        cur = g.relu(g.conv(cur, g.constant(`${layer.name}/kernel`, w.dims, w.data), g.constant(`${layer.name}/bias`, [cout], layer.bias!), attrs));
      } else {
        const { q, scales } = quantizedKernel(layer, q8!.weightBits);
        const wq = g.dequantize(g.constantInt(`${layer.name}/kernel_q`, w.dims, q), g.constant(`${layer.name}/kernel_scale`, [cout], scales), g.constantInt(`${layer.name}/kernel_zp`, [cout], new Int8Array(cout)), 0);
        const biasScale = scales.map((sw) => sw * qp!.scaleValue);
        const bq = Int32Array.from(layer.bias!, (b, c) => Math.round(b / biasScale[c]!));
        const bias = g.dequantize(g.constantInt(`${layer.name}/bias_q`, [cout], bq), g.constant(`${layer.name}/bias_scale`, [cout], biasScale), g.constantInt(`${layer.name}/bias_zp`, [cout], new Int32Array(cout)), 0);
        const max = q8!.activations[layer.name];
        if (max === undefined) throw new UserError(`the int8 calibration has no range for layer '${layer.name}'; recalibrate (delete the calibration cache)`);
        const out = uint8Params(0, max);
        const next = { scale: scalar(`${layer.name}/out_scale`, out.scale), zp: zeroU8(`${layer.name}/out_zero_point`, out.zeroPoint), scaleValue: out.scale };
        cur = g.quantize(g.relu(g.conv(dq(), wq, bias, attrs)), next.scale, next.zp);
        qp = next;
      }
    }
    if (wanted.has(layer.name)) g.output(g.transpose(qp ? dq() : cur, TO_NHWC), layer.name, ['batch', 'h', 'w', 'c'].map((d) => `${layer.name}_${d}`));
  }
  return g.toBytes({ docString: options.docString ?? `VGG16 conv base, outputs ${options.outputs.join(', ')}${q8 ? ', int8 QDQ' : ''}` });
}

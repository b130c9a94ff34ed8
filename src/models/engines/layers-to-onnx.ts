/**
 * Export a tfjs LayersModel built as a chain of layers (the VGG16 prefix, or a whole trained model:
 * prefix + head, nested models included) to ONNX, from its own weights. Input and output stay in
 * the tfjs layout (NHWC images, flat features) so both engines give identical arrays; inside, the
 * graph runs spatial ops in NCHW as onnxruntime prefers, transposing only where the layout changes.
 */
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { OnnxGraphBuilder, hwioToOihw, type Dim } from './onnx-graph.ts';

/** Graph input name: preprocessed images (NHWC float32) or flat features. */
export const ONNX_INPUT = 'input';
/** Graph output name. */
export const ONNX_OUTPUT = 'output';

type Layout = 'nhwc' | 'nchw' | 'flat';
interface Value {
  name: string;
  layout: Layout;
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** Layers that do nothing at inference time. */
const INFERENCE_IDENTITY = new Set(['InputLayer', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout']);

/**
 * Flatten nested models into their layers, in order (a stitched prefix + head is one chain).
 * Branching graphs need a merge layer (Add, Concatenate), which has no export and is refused below.
 */
function chainLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((layer) => ('layers' in layer ? chainLayers(layer as tf.LayersModel) : [layer]));
}

function floats(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

type Config = Record<string, unknown>;
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number]);

class Converter {
  readonly g: OnnxGraphBuilder;

  constructor(name: string) {
    this.g = new OnnxGraphBuilder(name);
  }

  layout(v: Value, want: 'nhwc' | 'nchw'): Value {
    if (v.layout === want || v.layout === 'flat') return v;
    return { name: this.g.transpose(v.name, want === 'nchw' ? TO_NCHW : TO_NHWC), layout: want };
  }

  activation(x: string, name: unknown, layer: string): string {
    switch (name ?? 'linear') {
      case 'linear':
        return x;
      case 'relu':
        return this.g.relu(x);
      case 'softmax':
        return this.g.softmax(x, -1);
      case 'sigmoid':
        return this.g.sigmoid(x);
      case 'tanh':
        return this.g.node('Tanh', [x]);
      default:
        throw new UserError(`layer '${layer}': activation '${String(name)}' has no ONNX export yet; use relu, softmax, sigmoid, tanh or linear`);
    }
  }

  layer(layer: tf.layers.Layer, x: Value): Value {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Config;
    const weights = layer.getWeights();
    const g = this.g;
    if (INFERENCE_IDENTITY.has(cls)) return x;
    if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast')
      throw new UserError(`layer '${layer.name}': dataFormat ${String(cfg.dataFormat)} is not exported; expected channelsLast`);
    switch (cls) {
      case 'Conv2D': {
        const [kernel, bias] = weights as [tf.Tensor, tf.Tensor | undefined];
        const w = hwioToOihw(floats(kernel), kernel.shape);
        const wName = g.constant(`${layer.name}/kernel`, w.dims, w.data);
        const bName = bias ? g.constant(`${layer.name}/bias`, bias.shape, floats(bias)) : undefined;
        const [dh, dw] = pair(cfg.dilationRate ?? 1);
        if (dh !== 1 || dw !== 1) throw new UserError(`layer '${layer.name}': dilated convolutions are not exported to ONNX`);
        const v = this.layout(x, 'nchw');
        const out = g.node('Conv', bName ? [v.name, wName, bName] : [v.name, wName], {
          attrs: {
            kernel_shape: w.dims.slice(2),
            strides: pair(cfg.strides),
            // TF 'same' puts the odd pixel at the end: exactly ONNX SAME_UPPER.
            auto_pad: cfg.padding === 'same' ? 'SAME_UPPER' : 'VALID',
          },
        });
        return { name: this.activation(out, cfg.activation, layer.name), layout: 'nchw' };
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const v = this.layout(x, 'nchw');
        const kernel = pair(cfg.poolSize);
        const attrs = { kernel_shape: kernel, strides: pair(cfg.strides ?? kernel), auto_pad: cfg.padding === 'same' ? 'SAME_UPPER' : 'VALID' };
        // TF averages over the valid pixels only, which is ONNX's count_include_pad = 0 (the default).
        return { name: g.node(cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [v.name], { attrs }), layout: 'nchw' };
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const v = this.layout(x, 'nchw');
        const pooled = cls === 'GlobalAveragePooling2D' ? g.globalAveragePool(v.name) : g.globalMaxPool(v.name);
        return { name: g.flatten(pooled), layout: 'flat' };
      }
      case 'Flatten':
        // Keras flattens NHWC in H, W, C order: go back to NHWC first so fc weights line up.
        return { name: g.flatten(this.layout(x, 'nhwc').name), layout: 'flat' };
      case 'Dense': {
        if (x.layout !== 'flat') throw new UserError(`layer '${layer.name}': Dense on a 4D input is not exported; add Flatten or global pooling first`);
        const [kernel, bias] = weights as [tf.Tensor, tf.Tensor | undefined];
        const wName = g.constant(`${layer.name}/kernel`, kernel.shape, floats(kernel));
        const out = bias ? g.gemm(x.name, wName, g.constant(`${layer.name}/bias`, bias.shape, floats(bias))) : g.matMul(x.name, wName);
        return { name: this.activation(out, cfg.activation, layer.name), layout: 'flat' };
      }
      case 'Activation':
        return { name: this.activation(x.name, cfg.activation, layer.name), layout: x.layout };
      case 'ReLU':
        if (cfg.maxValue != null) throw new UserError(`layer '${layer.name}': ReLU with maxValue is not exported to ONNX`);
        return { name: g.relu(x.name), layout: x.layout };
      case 'Softmax': {
        const v = this.layout(x, 'nhwc');
        return { name: g.softmax(v.name, -1), layout: v.layout };
      }
      case 'BatchNormalization':
        return this.batchNorm(layer, cfg, weights, x);
      default:
        throw new UserError(`layer '${layer.name}' (${cls}) has no ONNX export yet; use --engine tfjs or export as a tfjs model`);
    }
  }

  /** Inference-mode batch norm (moving statistics) over the channel axis. */
  private batchNorm(layer: tf.layers.Layer, cfg: Config, weights: tf.Tensor[], x: Value): Value {
    const axis = Array.isArray(cfg.axis) ? cfg.axis[0] : cfg.axis;
    if (axis !== -1 && axis !== (x.layout === 'flat' ? 1 : 3)) throw new UserError(`layer '${layer.name}': BatchNormalization over axis ${String(axis)} is not exported; expected the channel axis`);
    const queue = [...weights];
    const channels = weights.at(-1)!.shape[0]!;
    const take = (present: unknown, fill: number): Float32Array => (present === false ? new Float32Array(channels).fill(fill) : floats(queue.shift()!));
    const gamma = take(cfg.scale, 1);
    const beta = take(cfg.center, 0);
    const [mean, variance] = queue.map(floats) as [Float32Array, Float32Array];
    const c = (suffix: string, data: Float32Array) => this.g.constant(`${layer.name}/${suffix}`, [channels], data);
    const v = x.layout === 'flat' ? x : this.layout(x, 'nchw');
    const epsilon = (cfg.epsilon as number | undefined) ?? 1e-3;
    const out = this.g.batchNormalization(v.name, c('gamma', gamma), c('beta', beta), c('moving_mean', mean), c('moving_variance', variance), epsilon);
    return { name: out, layout: v.layout };
  }
}

/** Shape with a symbolic batch dimension. */
function withBatch(shape: readonly (number | null)[]): Dim[] {
  return shape.map((d, i) => (i === 0 ? 'batch' : (d ?? `d${i}`)));
}

/**
 * Serialised ONNX model for a chain-of-layers `model` with one input and one output. The graph's
 * input is `input`, its output `output`, both in the tfjs layout.
 */
export function layersModelToOnnx(model: tf.LayersModel, meta: { docString?: string } = {}): Uint8Array {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new UserError(`model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs; ONNX export expects one of each`);
  const conv = new Converter(model.name);
  const inShape = model.inputs[0]!.shape;
  if (inShape.length !== 4 && inShape.length !== 2) throw new UserError(`model '${model.name}' input shape [${inShape.join(', ')}]: expected images (NHWC) or flat features`);
  let x: Value = { name: conv.g.input(ONNX_INPUT, withBatch(inShape)), layout: inShape.length === 4 ? 'nhwc' : 'flat' };
  for (const layer of chainLayers(model)) x = conv.layer(layer, x);
  x = conv.layout(x, 'nhwc');
  conv.g.output(x.name, ONNX_OUTPUT, withBatch(model.outputs[0]!.shape));
  return conv.g.toBytes({ docString: meta.docString ?? `transferkit export of '${model.name}'` });
}

/** Export `model` to an `.onnx` file atomically (readers never see half a model). */
export async function exportOnnx(model: tf.LayersModel, path: string, meta: { docString?: string } = {}): Promise<void> {
  await writeFileAtomic(path, layersModelToOnnx(model, meta));
}

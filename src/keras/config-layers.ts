import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';

/**
 * One Keras layer config -> one tfjs layer, for a whitelist of classes. Only the fields that change
 * what the layer computes are read (initialisers, regularisers and dtype policies do not: weights come
 * from the file, and we compute in float32); a field we cannot honour is refused, never dropped.
 */

type Activation = NonNullable<Parameters<typeof tf.layers.activation>[0]>['activation'];

/** Keras activation names we can reproduce exactly (hard_sigmoid and gelu differ between versions). */
const ACTIVATIONS: Record<string, Activation> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  softmax: 'softmax',
  softplus: 'softplus',
  softsign: 'softsign',
  tanh: 'tanh',
  elu: 'elu',
  selu: 'selu',
  swish: 'swish',
  silu: 'swish',
};

/** How Conv2D/Dense kernels start: tfjs's random default, or zeros when weights will be loaded over them. */
export type KernelInit = 'random' | 'zeros';

/** Reads typed fields of one layer's config, with errors naming the layer and field. */
class Fields {
  constructor(
    private readonly c: Record<string, unknown>,
    readonly layer: string,
    readonly className: string,
    private readonly source: string,
    private readonly kernelInit: KernelInit,
  ) {}

  fail(message: string): never {
    throw new UserError(`${this.source}: layer '${this.layer}' (${this.className}): ${message}`);
  }

  raw(key: string): unknown {
    return this.c[key];
  }

  has(key: string): boolean {
    return this.c[key] !== undefined && this.c[key] !== null;
  }

  number(key: string, fallback?: number): number {
    const v = this.c[key] ?? fallback;
    if (typeof v !== 'number') this.fail(`'${key}' should be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.c[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(`'${key}' should be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** An int or a list of ints (Keras accepts `3` for `(3, 3)`). */
  ints(key: string, fallback?: number | number[]): number[] {
    const v = this.c[key] ?? fallback;
    const list = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(list) || !list.every((d) => Number.isInteger(d))) this.fail(`'${key}' should be an int or list of ints, got ${JSON.stringify(v)}`);
    return list as number[];
  }

  padding(): 'valid' | 'same' {
    const v = this.c.padding ?? 'valid';
    if (v !== 'valid' && v !== 'same') this.fail(`padding '${String(v)}' is not supported (valid, same)`);
    return v;
  }

  /** channels_last only: our kernels and every saved VGG16 use it. */
  channelsLast(): 'channelsLast' {
    const v = this.c.data_format ?? this.c.dim_ordering ?? 'channels_last';
    if (v !== 'channels_last' && v !== 'tf') this.fail(`data_format '${String(v)}' is not supported; only channels_last`);
    return 'channelsLast';
  }

  activation(): Activation {
    const v = this.c.activation ?? 'linear';
    const name = typeof v === 'string' ? ACTIVATIONS[v] : undefined;
    if (!name) this.fail(`activation ${JSON.stringify(v)} is not supported (${Object.keys(ACTIVATIONS).join(', ')})`);
    return name;
  }

  /** The initializer for a kernel: undefined keeps tfjs's default. */
  kernelInitializer(): 'zeros' | undefined {
    return this.kernelInit === 'zeros' ? 'zeros' : undefined;
  }

  /** What every layer shares. */
  base(): { name: string; trainable: boolean } {
    return { name: this.layer, trainable: this.boolean('trainable', true) };
  }
}

type Builder = (f: Fields) => tf.layers.Layer;

type Pool2dArgs = NonNullable<Parameters<typeof tf.layers.maxPooling2d>[0]>;

function pool2d(f: Fields): Pool2dArgs {
  const poolSize = f.ints('pool_size', 2) as [number, number];
  return { ...f.base(), poolSize, strides: f.has('strides') ? (f.ints('strides') as [number, number]) : poolSize, padding: f.padding(), dataFormat: f.channelsLast() };
}

function globalPool(f: Fields): { dataFormat: 'channelsLast'; name: string; trainable: boolean } {
  if (f.boolean('keepdims', false)) f.fail('keepdims=True is not supported');
  return { ...f.base(), dataFormat: f.channelsLast() };
}

const BUILDERS: Record<string, Builder> = {
  Conv2D: (f) => {
    if (f.has('groups') && f.number('groups') !== 1) f.fail('grouped convolution (groups > 1) is not supported');
    return tf.layers.conv2d({
      ...f.base(),
      filters: f.number('filters'),
      kernelSize: f.ints('kernel_size'),
      strides: f.ints('strides', 1),
      padding: f.padding(),
      dataFormat: f.channelsLast(),
      dilationRate: f.ints('dilation_rate', 1) as [number, number],
      activation: f.activation(),
      useBias: f.boolean('use_bias', true),
      kernelInitializer: f.kernelInitializer(),
    });
  },
  Dense: (f) =>
    tf.layers.dense({
      ...f.base(),
      // output_dim: Keras 1's name for units.
      units: f.has('units') ? f.number('units') : f.number('output_dim'),
      activation: f.activation(),
      useBias: f.boolean('use_bias', true),
      kernelInitializer: f.kernelInitializer(),
    }),
  MaxPooling2D: (f) => tf.layers.maxPooling2d(pool2d(f)),
  AveragePooling2D: (f) => tf.layers.averagePooling2d(pool2d(f)),
  GlobalAveragePooling2D: (f) => tf.layers.globalAveragePooling2d(globalPool(f)),
  GlobalMaxPooling2D: (f) => tf.layers.globalMaxPooling2d(globalPool(f)),
  Dropout: (f) => tf.layers.dropout({ ...f.base(), rate: f.number('rate', 0.5) }),
  Flatten: (f) => tf.layers.flatten({ ...f.base(), dataFormat: f.channelsLast() }),
  BatchNormalization: (f) => {
    // tf-keras writes the axis as a one-element list ([3]); Keras 3 and Keras 1/2 as an int.
    const raw = f.raw('axis') ?? -1;
    const axis = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
    if (!Number.isInteger(axis)) f.fail(`normalising over axes ${JSON.stringify(raw)} is not supported (one axis only)`);
    return tf.layers.batchNormalization({
      ...f.base(),
      axis: axis as number,
      momentum: f.number('momentum', 0.99),
      epsilon: f.number('epsilon', 1e-3),
      center: f.boolean('center', true),
      scale: f.boolean('scale', true),
    });
  },
  Activation: (f) => tf.layers.activation({ ...f.base(), activation: f.activation() }),
  ZeroPadding2D: (f) => tf.layers.zeroPadding2d({ ...f.base(), padding: zeroPadding(f), dataFormat: f.channelsLast() }),
  Add: (f) => tf.layers.add(f.base()),
  Concatenate: (f) => tf.layers.concatenate({ ...f.base(), axis: f.number('axis', -1) }),
};

/** Keras writes 1, [1, 2] or [[1, 1], [2, 2]]; tfjs wants the last form or a number. */
function zeroPadding(f: Fields): number | [[number, number], [number, number]] {
  const raw = f.raw('padding') ?? 1;
  if (typeof raw === 'number') return raw;
  if (Array.isArray(raw) && raw.length === 2) {
    const [h, w] = raw.map((p: unknown) => (typeof p === 'number' ? [p, p] : p));
    if ([h, w].every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isInteger))) {
      return [h as [number, number], w as [number, number]];
    }
  }
  return f.fail(`padding ${JSON.stringify(raw)} is not an int, (h, w) or ((top, bottom), (left, right))`);
}

/** Older spellings Keras still accepts. */
const ALIASES: Record<string, string> = {
  MaxPool2D: 'MaxPooling2D',
  AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  Convolution2D: 'Conv2D',
};

/** Layer classes transferkit rebuilds from a config (models nest via Sequential / Functional). */
export const SUPPORTED_LAYER_CLASSES: readonly string[] = ['InputLayer', ...Object.keys(BUILDERS), 'Sequential', 'Functional'];

/** Build one non-model layer, or refuse it by name. */
export function buildLayer(className: string, config: unknown, source: string, kernelInit: KernelInit = 'random'): tf.layers.Layer {
  const c = (config ?? {}) as Record<string, unknown>;
  const name = typeof c.name === 'string' ? c.name : className;
  const builder = BUILDERS[ALIASES[className] ?? className];
  if (!builder) {
    const why = className === 'Lambda' ? 'Lambda layers hold Python code, which transferkit never executes' : 'transferkit cannot rebuild this layer class';
    throw new UserError(
      `${source}: layer '${name}' is a ${className}; ${why}. Supported: ${SUPPORTED_LAYER_CLASSES.join(', ')}. ` +
        'Rebuild the model without it, or save the weights (save_weights) and load them into a model built here.',
    );
  }
  return builder(new Fields(c, name, className, source, kernelInit));
}

/**
 * VGG16 as data: the Keras layer names and shapes, shared by the tfjs builder, the ONNX exporter,
 * the strategies (cut points) and the weight loaders. Order is Keras's `model.layers` order.
 */
export type Vgg16Layer =
  | { name: Vgg16LayerName; kind: 'conv'; filters: number; block: number }
  | { name: Vgg16LayerName; kind: 'pool'; block: number }
  | { name: 'flatten'; kind: 'flatten' }
  | { name: 'fc1' | 'fc2'; kind: 'dense'; units: number; activation: 'relu' }
  | { name: 'predictions'; kind: 'dense'; units: number; activation: 'softmax' }
  | { name: 'global_average_pooling2d' | 'global_max_pooling2d'; kind: 'global-pool'; mode: GlobalPooling };

/** Keras's `pooling` argument for `include_top=False`: none keeps the 4D block5_pool output. */
export type GlobalPooling = 'avg' | 'max';

/**
 * Names of the layers a model can be cut after (every pool; every conv for fine-tuning splits), in
 * Keras order: a literal tuple, so a layer name is a type ({@link Vgg16LayerName}).
 */
export const VGG16_LAYER_NAMES = [
  'block1_conv1', 'block1_conv2', 'block1_pool',
  'block2_conv1', 'block2_conv2', 'block2_pool',
  'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_pool',
  'block4_conv1', 'block4_conv2', 'block4_conv3', 'block4_pool',
  'block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool',
] as const;

/** A layer of VGG16's convolutional base. */
export type Vgg16LayerName = (typeof VGG16_LAYER_NAMES)[number];

/** Position of `name` in {@link VGG16_LAYER_NAMES}; -1 for any other name. */
export function vgg16LayerIndex(name: string): number {
  return (VGG16_LAYER_NAMES as readonly string[]).indexOf(name);
}

/** Output channels of each block's convs. */
const BLOCK_FILTERS = [64, 128, 256, 512, 512] as const;

/** The convolutional base (`include_top=False`): block1_conv1 … block5_pool. */
export const VGG16_BASE: readonly Vgg16Layer[] = VGG16_LAYER_NAMES.map((name): Vgg16Layer => {
  const block = Number(name[5]);
  return name.endsWith('_pool') ? { name, kind: 'pool', block } : { name, kind: 'conv', filters: BLOCK_FILTERS[block - 1]!, block };
});

/** The classifier (`include_top=True`), for `classes` outputs (ImageNet: 1000). */
export function vgg16Top(classes = 1000): Vgg16Layer[] {
  return [
    { name: 'flatten', kind: 'flatten' },
    { name: 'fc1', kind: 'dense', units: 4096, activation: 'relu' },
    { name: 'fc2', kind: 'dense', units: 4096, activation: 'relu' },
    { name: 'predictions', kind: 'dense', units: classes, activation: 'softmax' },
  ];
}

/** Keras's ImageNet channel means in BGR order ("caffe" preprocessing). */
export const IMAGENET_BGR_MEANS = [103.939, 116.779, 123.68] as const;

/** Keras's layer list for `VGG16(include_top, pooling, classes)`, in `model.layers` order (input excluded). */
export function vgg16Layers(opts: { includeTop: boolean; classes: number; pooling?: GlobalPooling }): Vgg16Layer[] {
  if (opts.includeTop) return [...VGG16_BASE, ...vgg16Top(opts.classes)];
  if (opts.pooling === 'avg') return [...VGG16_BASE, { name: 'global_average_pooling2d', kind: 'global-pool', mode: 'avg' }];
  if (opts.pooling === 'max') return [...VGG16_BASE, { name: 'global_max_pooling2d', kind: 'global-pool', mode: 'max' }];
  return [...VGG16_BASE];
}

/** Conv kernel side (every VGG16 conv is 3x3, stride 1, 'same'). */
export const VGG16_KERNEL_SIZE = 3;

/** Spatial side of block5_pool at the 224x224 input the top is defined for (fc1 sees 7*7*512). */
export const VGG16_TOP_INPUT_SIDE = 224;

/** One layer's weight shapes in Keras order (kernel, bias); empty for layers without weights. */
export interface Vgg16WeightShapes {
  name: string;
  kernel?: number[];
  bias?: number[];
}

/**
 * Weight shapes for each layer of `layers`, derived from the spec alone (no tensors): the input to
 * the first conv has 3 channels; dense layers after `flatten` see the 7x7x512 block5_pool output.
 */
export function vgg16WeightShapes(layers: readonly Vgg16Layer[]): Vgg16WeightShapes[] {
  let channels = 3;
  let features = 0;
  const k = VGG16_KERNEL_SIZE;
  const side = VGG16_TOP_INPUT_SIDE / 2 ** VGG16_BASE.filter((l) => l.kind === 'pool').length;
  return layers.map((layer) => {
    switch (layer.kind) {
      case 'conv': {
        const kernel = [k, k, channels, layer.filters];
        channels = layer.filters;
        return { name: layer.name, kernel, bias: [layer.filters] };
      }
      case 'flatten':
        features = side * side * channels;
        return { name: layer.name };
      case 'dense': {
        const kernel = [features, layer.units];
        features = layer.units;
        return { name: layer.name, kernel, bias: [layer.units] };
      }
      default:
        return { name: layer.name };
    }
  });
}

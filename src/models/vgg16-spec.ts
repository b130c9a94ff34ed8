/**
 * VGG16 as data: the Keras layer names and shapes, shared by the tfjs builder, the ONNX exporter,
 * the strategies (cut points) and the weight loaders. Order is Keras's `model.layers` order.
 */
export type Vgg16Layer =
  | { name: string; kind: 'conv'; filters: number; block: number }
  | { name: string; kind: 'pool'; block: number }
  | { name: 'flatten'; kind: 'flatten' }
  | { name: 'fc1' | 'fc2'; kind: 'dense'; units: number; activation: 'relu' }
  | { name: 'predictions'; kind: 'dense'; units: number; activation: 'softmax' }
  | { name: 'global_average_pooling2d' | 'global_max_pooling2d'; kind: 'global-pool'; mode: GlobalPooling };

/** Keras's `pooling` argument for `include_top=False`: none keeps the 4D block5_pool output. */
export type GlobalPooling = 'avg' | 'max';

const BLOCKS: ReadonlyArray<{ convs: number; filters: number }> = [
  { convs: 2, filters: 64 },
  { convs: 2, filters: 128 },
  { convs: 3, filters: 256 },
  { convs: 3, filters: 512 },
  { convs: 3, filters: 512 },
];

/** The convolutional base (`include_top=False`): block1_conv1 … block5_pool. */
export const VGG16_BASE: readonly Vgg16Layer[] = BLOCKS.flatMap(({ convs, filters }, i) => {
  const block = i + 1;
  const layers: Vgg16Layer[] = [];
  for (let c = 1; c <= convs; c++) layers.push({ name: `block${block}_conv${c}`, kind: 'conv', filters, block });
  layers.push({ name: `block${block}_pool`, kind: 'pool', block });
  return layers;
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

/** Names of the layers a model can be cut after (every pool; every conv for fine-tuning splits). */
export const VGG16_LAYER_NAMES: readonly string[] = VGG16_BASE.map((l) => l.name);

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

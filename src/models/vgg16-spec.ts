/**
 * VGG16 as data: the Keras layer names and shapes, shared by the tfjs builder, the ONNX exporter,
 * the strategies (cut points) and the weight loaders. Order is Keras's `model.layers` order.
 */
export type Vgg16Layer =
  | { name: string; kind: 'conv'; filters: number; block: number }
  | { name: string; kind: 'pool'; block: number }
  | { name: 'flatten'; kind: 'flatten' }
  | { name: 'fc1' | 'fc2'; kind: 'dense'; units: number; activation: 'relu' }
  | { name: 'predictions'; kind: 'dense'; units: number; activation: 'softmax' };

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

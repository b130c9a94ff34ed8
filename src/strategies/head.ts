import type { HeadSpec } from './types.ts';

/** One head layer as data; `head-layer.ts` turns these into tfjs layers. */
export type HeadLayerSpec =
  | { name: string; kind: 'gap' | 'flatten' }
  | { name: string; kind: 'dense'; units: number | 'classes'; activation: 'relu' | 'softmax'; pretrained: boolean }
  | { name: string; kind: 'dropout'; rate: number }
  | { name: string; kind: 'batchnorm' };

/** VGG16's fc1/fc2 width. */
const VGG_FC_UNITS = 4096;

/**
 * The head's layers in order, with Keras's default layer names (`dense`, `dropout`, `dropout_1`,
 * `batch_normalization`, `predictions`) so users see the names they know from Keras code.
 */
export function headLayerSpecs(head: HeadSpec): HeadLayerSpec[] {
  const layers: HeadLayerSpec[] = [];
  const dropout = (rate: number): void => {
    if (rate <= 0) return;
    const n = layers.filter((l) => l.kind === 'dropout').length;
    layers.push({ name: n === 0 ? 'dropout' : `dropout_${n}`, kind: 'dropout', rate });
  };
  if (head.kind === 'vgg') {
    layers.push({ name: 'flatten', kind: 'flatten' });
    layers.push({ name: 'fc1', kind: 'dense', units: VGG_FC_UNITS, activation: 'relu', pretrained: true });
    dropout(head.dropout);
    layers.push({ name: 'fc2', kind: 'dense', units: VGG_FC_UNITS, activation: 'relu', pretrained: true });
    dropout(head.dropout);
  } else {
    layers.push(head.kind === 'gap' ? { name: 'global_average_pooling2d', kind: 'gap' } : { name: 'flatten', kind: 'flatten' });
    if (head.dense > 0) layers.push({ name: 'dense', kind: 'dense', units: head.dense, activation: 'relu', pretrained: false });
    if (head.batchnorm) layers.push({ name: 'batch_normalization', kind: 'batchnorm' });
    dropout(head.dropout);
  }
  layers.push({ name: 'predictions', kind: 'dense', units: 'classes', activation: 'softmax', pretrained: false });
  return layers;
}

/** Names of the head layers that train (weightless layers are listed too: they follow their phase). */
export function trainableHeadLayers(head: HeadSpec): string[] {
  const specs = headLayerSpecs(head);
  if (head.kind !== 'vgg') return specs.map((l) => l.name);
  return specs.filter((l) => l.kind !== 'dense' || head.vggTrain.includes(l.name as 'fc1' | 'fc2' | 'predictions')).map((l) => l.name);
}

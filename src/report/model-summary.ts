import type * as tf from '@tensorflow/tfjs';

/** One row of a Keras-style summary. */
export interface SummaryRow {
  /** Layer name, e.g. `block1_conv1`. */
  name: string;
  /** Keras class name, e.g. `Conv2D`. */
  type: string;
  /** Keras notation, e.g. `(None, 224, 224, 64)`. */
  outputShape: string;
  params: number;
  trainable: boolean;
}

/** What `model.summary()` reports, as data. */
export interface ModelSummary {
  name: string;
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
}

/** Formatting choices for `formatModelSummary`. */
export interface SummaryFormatOptions {
  /** Add Keras's `Trainable` column (Y/N per layer), for models with frozen layers. Default: false. */
  showTrainable?: boolean;
}

type Shape = tf.Shape | tf.Shape[];

/** Keras prints unknown dimensions as None and tuples in parentheses; several outputs as a list. */
function formatShape(shape: Shape): string {
  const one = (s: tf.Shape) => `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')}${s.length === 1 ? ',' : ''})`;
  return Array.isArray(shape[0]) ? `[${(shape as tf.Shape[]).map(one).join(', ')}]` : one(shape as tf.Shape);
}

const countWeights = (weights: readonly tf.LayerVariable[]) => weights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);

/** Summarise any layers model: each layer's type, output shape and parameter count, plus totals. */
export function summarizeModel(model: tf.LayersModel): ModelSummary {
  const rows = model.layers.map((layer) => ({
    name: layer.name,
    type: layer.getClassName(),
    outputShape: formatShape(layer.outputShape),
    params: layer.countParams(),
    trainable: layer.trainable,
  }));
  const trainableParams = countWeights(model.trainableWeights);
  const nonTrainableParams = countWeights(model.nonTrainableWeights);
  return { name: model.name, rows, totalParams: trainableParams + nonTrainableParams, trainableParams, nonTrainableParams };
}

const thousands = (n: number) => n.toLocaleString('en-US');

/** Render a summary the way Keras's `model.summary()` prints it. */
export function formatModelSummary(summary: ModelSummary, options: SummaryFormatOptions = {}): string {
  const header = ['Layer (type)', 'Output Shape', 'Param #', ...(options.showTrainable ? ['Trainable'] : [])];
  const cells = summary.rows.map((r) => [
    `${r.name} (${r.type})`,
    r.outputShape,
    String(r.params),
    ...(options.showTrainable ? [r.trainable ? 'Y' : 'N'] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)) + 3);
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0));
  return [
    `Model: "${summary.name}"`,
    rule('_'),
    line(header),
    rule('='),
    ...cells.map(line),
    rule('='),
    `Total params: ${thousands(summary.totalParams)}`,
    `Trainable params: ${thousands(summary.trainableParams)}`,
    `Non-trainable params: ${thousands(summary.nonTrainableParams)}`,
    rule('_'),
  ].join('\n');
}

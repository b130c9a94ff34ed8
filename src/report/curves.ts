import type { TopLevelSpec } from 'vega-lite';
import type { EpochLogs } from '../run/schemas.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { renderPng } from './render.ts';

/** One point of a learning curve, long format for vega-lite. */
interface CurvePoint {
  epoch: number;
  metric: 'loss' | 'accuracy';
  split: 'train' | 'validation';
  value: number;
}

function curvePoints(history: readonly EpochLogs[]): CurvePoint[] {
  return history.flatMap((h) => [
    { epoch: h.epoch + 1, metric: 'loss', split: 'train', value: h.loss },
    { epoch: h.epoch + 1, metric: 'loss', split: 'validation', value: h.val_loss },
    { epoch: h.epoch + 1, metric: 'accuracy', split: 'train', value: h.acc },
    { epoch: h.epoch + 1, metric: 'accuracy', split: 'validation', value: h.val_acc },
  ]);
}

/** Loss and accuracy side by side, train vs validation, as Keras users plot `history.history`. */
export function learningCurvesSpec(history: readonly EpochLogs[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: curvePoints(history) },
    background: 'white',
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['loss', 'accuracy'], header: { labelFontSize: 14 } } },
    spec: {
      width: 320,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'validation'] } },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The learning curves as PNG bytes. */
export function learningCurvesPng(history: readonly EpochLogs[]): Promise<Buffer> {
  return renderPng(learningCurvesSpec(history));
}

/** Write `curves.png` atomically. */
export async function writeLearningCurves(path: string, history: readonly EpochLogs[]): Promise<void> {
  await writeFileAtomic(path, await learningCurvesPng(history));
}

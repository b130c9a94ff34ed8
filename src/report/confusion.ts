import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../util/atomic.ts';
import { renderPng } from './render.ts';

/** One cell of the matrix, long format for vega-lite. */
interface Cell {
  truth: string;
  predicted: string;
  count: number;
  /** Share of the true class's images (row-normalised), what the colour shows. */
  share: number;
}

function cells(confusion: readonly (readonly number[])[], classes: readonly string[]): Cell[] {
  return confusion.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, p) => ({ truth: classes[t]!, predicted: classes[p]!, count, share: total === 0 ? 0 : count / total }));
  });
}

/**
 * A confusion-matrix heatmap: rows true class, columns predicted class, colour the row-normalised
 * share (so rare classes stay readable), each cell labelled with its count.
 */
export function confusionSpec(confusion: readonly (readonly number[])[], classes: readonly string[]): TopLevelSpec {
  const side = Math.min(60, Math.max(24, Math.floor(480 / Math.max(1, classes.length))));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: cells(confusion, classes) },
    background: 'white',
    width: side * classes.length,
    height: side * classes.length,
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: [...classes], title: 'predicted', axis: { labelAngle: -45, orient: 'top' } },
      y: { field: 'truth', type: 'nominal', sort: [...classes], title: 'true' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: { color: { field: 'share', type: 'quantitative', title: 'share of row', scale: { scheme: 'blues', domain: [0, 1] } } },
      },
      {
        mark: { type: 'text', fontSize: classes.length > 12 ? 9 : 13 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/** Write `confusion.png` atomically. */
export async function writeConfusionPng(path: string, confusion: readonly (readonly number[])[], classes: readonly string[]): Promise<void> {
  await writeFileAtomic(path, await renderPng(confusionSpec(confusion, classes)));
}

import test from 'ava';
import sharp from 'sharp';
import { confusionSpec } from '../src/report/confusion.ts';
import { renderPng } from '../src/report/render.ts';
import { classificationReport, confusionMatrix, formatClassificationReport, formatConfusion } from '../src/inference/metrics.ts';

// sklearn: y_true = [0,0,0,1,1,2,2,2,2], y_pred = [0,1,0,1,2,2,2,0,2]
const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
const pred = [0, 1, 0, 1, 2, 2, 2, 0, 2];

test('confusion matrix rows are true classes, columns predicted', (t) => {
  t.deepEqual(confusionMatrix(truth, pred, 3), [
    [2, 1, 0],
    [0, 1, 1],
    [1, 0, 3],
  ]);
  t.throws(() => confusionMatrix([0], [0, 1], 2), { instanceOf: RangeError });
});

test('classification report matches scikit-learn classification_report', (t) => {
  const r = classificationReport(truth, pred, 3);
  t.is(r.accuracy, 6 / 9);
  const expected = [
    { precision: 2 / 3, recall: 2 / 3, support: 3 },
    { precision: 1 / 2, recall: 1 / 2, support: 2 },
    { precision: 3 / 4, recall: 3 / 4, support: 4 },
  ];
  for (const [c, e] of expected.entries()) {
    const s = r.perClass[c]!;
    t.true(Math.abs(s.precision - e.precision) < 1e-12);
    t.true(Math.abs(s.recall - e.recall) < 1e-12);
    t.true(Math.abs(s.f1 - e.precision) < 1e-12); // precision = recall here, so F1 equals both
    t.is(s.support, e.support);
  }
  // sklearn: macro f1 0.638888..., weighted f1 0.666666...
  t.true(Math.abs(r.macro.f1 - (2 / 3 + 1 / 2 + 3 / 4) / 3) < 1e-12);
  t.true(Math.abs(r.weighted.f1 - (3 * (2 / 3) + 2 * (1 / 2) + 4 * (3 / 4)) / 9) < 1e-12);
  t.is(r.macro.support, 9);
});

test('a class never predicted and never present scores 0 (sklearn zero_division=0), not NaN', (t) => {
  const r = classificationReport([0, 0, 1], [0, 1, 1], 3);
  t.deepEqual(r.perClass[2], { precision: 0, recall: 0, f1: 0, support: 0 });
  t.true(Math.abs(r.perClass[1]!.precision - 0.5) < 1e-12);
  t.is(classificationReport([], [], 2).accuracy, 0);
});

test('text tables name every class and count', (t) => {
  const classes = ['cat', 'dog', 'hamster'];
  const text = formatConfusion(confusionMatrix(truth, pred, 3), classes);
  const lines = text.split('\n');
  t.is(lines.length, 4);
  t.deepEqual(lines[3]!.trim().split(/\s+/), ['hamster', '1', '0', '3']);
  const report = formatClassificationReport(classificationReport(truth, pred, 3), classes);
  t.regex(report, /hamster\s+0\.7500\s+0\.7500\s+0\.7500\s+4/);
  t.regex(report, /accuracy\s+0\.6667\s+9/);
});

test('confusion heatmap renders to a PNG sized by the class count', async (t) => {
  const small = await sharp(await renderPng(confusionSpec([[1, 0], [0, 1]], ['a', 'b']))).metadata();
  const big = await sharp(await renderPng(confusionSpec(confusionMatrix(truth, pred, 3), ['a', 'b', 'c']))).metadata();
  t.is(small.format, 'png');
  t.true(big.width! > small.width! && big.height! > small.height!);
});

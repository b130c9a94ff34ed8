import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDataset } from '../../src/data/check.ts';

const datasets = join(fileURLToPath(new URL('../../..', import.meta.url)), 'shared', 'datasets');

test('check on hymenoptera: 2 classes, train 124/121, val 70/83, the GIF counts as readable', async (t) => {
  const report = await checkDataset(join(datasets, 'hymenoptera'), { valSplit: 0.2, seed: 0 });
  t.true(report.usable);
  t.is(report.layout, 'presplit');
  t.deepEqual(report.classes, ['ants', 'bees']);
  t.deepEqual(report.splits.train?.counts, [124, 121]);
  t.deepEqual(report.splits.validation?.counts, [70, 83]);
  t.deepEqual(report.unreadable, []);
  t.is(report.formats.gif, 1);
  t.true(report.dataset!.splits.train.some((i) => i.path.endsWith('imageNotFound.gif')));
});

test('check on cats-dogs: train 150/150, validation 60/60', async (t) => {
  const report = await checkDataset(join(datasets, 'cats-dogs'), { valSplit: 0.2, seed: 0 });
  t.true(report.usable);
  t.deepEqual(report.classes, ['cats', 'dogs']);
  t.deepEqual(report.splits.train?.counts, [150, 150]);
  t.deepEqual(report.splits.validation?.counts, [60, 60]);
});

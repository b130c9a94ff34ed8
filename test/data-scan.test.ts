import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { checkDataset } from '../src/data/check.ts';
import { scanDataset } from '../src/data/scan.ts';
import { UserError } from '../src/errors.ts';
import { tempDir } from './helpers/temp-dir.ts';

async function image(path: string, colour: string, format: 'jpeg' | 'png' = 'jpeg'): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await sharp({ create: { width: 20, height: 10, channels: 3, background: colour } }).toFormat(format).toFile(path);
}

test('class folders: hidden files, Thumbs.db, non-images ignored; upper-case, unicode and spaces kept; seeded stratified split', async (t) => {
  const root = await tempDir('tk-scan-');
  for (let i = 0; i < 10; i++) await image(join(root, 'chats noirs', `img ${i}.JPG`), `#10${i}010`);
  for (let i = 0; i < 5; i++) await image(join(root, 'éléphants', `ph_${i}.png`), `#2020${i}0`, 'png');
  await image(join(root, '.ipynb_checkpoints', 'x.jpg'), '#000000');
  await writeFile(join(root, '.DS_Store'), 'junk');
  await writeFile(join(root, 'chats noirs', '.DS_Store'), 'junk');
  await writeFile(join(root, 'chats noirs', 'Thumbs.db'), 'junk');
  await writeFile(join(root, 'chats noirs', 'notes.txt'), 'hello');
  await mkdir(join(root, 'empty class'));

  const ds = await scanDataset(root, { valSplit: 0.2, seed: 7 });
  t.is(ds.layout, 'class-folders');
  t.deepEqual(ds.classes, ['chats noirs', 'éléphants']);
  t.deepEqual(ds.split, { seed: 7, valSplit: 0.2 });
  t.is(ds.splits.train.length + ds.splits.validation.length, 15);
  t.deepEqual(ds.splits.validation.map((i) => i.classIndex).sort(), [0, 0, 1]);
  t.true(ds.warnings.some((w) => w.includes('empty class')));
  t.regex(ds.splits.train[0]!.hash!, /^[0-9a-f]{64}$/);
  t.deepEqual(JSON.parse(JSON.stringify(ds)), ds, 'serialisable as plain JSON');
  t.deepEqual(await scanDataset(root, { valSplit: 0.2, seed: 7 }), ds, 'same seed, same split');
  const other = await scanDataset(root, { valSplit: 0.2, seed: 8 });
  t.notDeepEqual(other.splits.validation.map((i) => i.path), ds.splits.validation.map((i) => i.path));

  const report = await checkDataset(root, { valSplit: 0.2, seed: 7 });
  t.true(report.usable);
  t.deepEqual(report.ignoredFiles, [join(root, 'chats noirs', 'notes.txt')]);
  t.deepEqual(report.formats, { jpeg: 10, png: 5 });
});

test('train/val/test layout; unreadable files listed and skipped; duplicates across splits and classes', async (t) => {
  const root = await tempDir('tk-scan-');
  await image(join(root, 'train', 'a', '1.jpg'), '#ff0000');
  await image(join(root, 'train', 'a', '2.jpg'), '#ee0000');
  await image(join(root, 'train', 'b', '1.jpg'), '#0000ff');
  await image(join(root, 'train', 'b', 'same-as-a1.jpg'), '#ff0000');
  await image(join(root, 'val', 'a', 'copy.jpg'), '#ee0000');
  await image(join(root, 'val', 'b', '1.jpg'), '#0000ee');
  await image(join(root, 'test', 'a', '1.jpg'), '#aa0000');
  await writeFile(join(root, 'train', 'b', 'broken.jpg'), '');

  const report = await checkDataset(root, { valSplit: 0.2, seed: 0 });
  t.is(report.layout, 'presplit');
  t.deepEqual(report.classes, ['a', 'b']);
  t.deepEqual(report.splits.train?.counts, [2, 2]);
  t.deepEqual(report.splits.validation?.counts, [1, 1]);
  t.deepEqual(report.splits.test?.counts, [1, 0]);
  t.is(report.splits.test?.imbalanceRatio, Infinity);
  t.deepEqual(report.unreadable, [{ path: join(root, 'train', 'b', 'broken.jpg'), reason: 'empty file (0 bytes)' }]);
  t.is(report.dataset?.splits.train.length, 4, 'unreadable file left out of the dataset');
  t.true(report.duplicates.some((d) => d.crossClass && d.paths.some((p) => p.endsWith('same-as-a1.jpg'))));
  t.true(report.duplicates.some((d) => d.crossSplit && !d.crossClass));
  t.true(report.warnings.some((w) => w.includes('split test has no image of class(es): b')));
  t.true(report.usable);
});

test('fewer than two usable classes: scan throws naming them, check reports unusable', async (t) => {
  const root = await tempDir('tk-scan-');
  await image(join(root, 'only', '1.jpg'), '#ff0000');
  await mkdir(join(root, 'hollow'));
  const err = await t.throwsAsync(scanDataset(root, { valSplit: 0.2, seed: 0 }), { instanceOf: UserError });
  t.regex(err!.message, /found 1 class\(es\) with images \(only\); empty: hollow/);
  // Scanning does not decode, so a folder of broken files still looks like a class; check decodes.
  await mkdir(join(root, 'broken'));
  await writeFile(join(root, 'broken', 'x.png'), 'not a png');
  t.deepEqual((await scanDataset(root, { valSplit: 0.2, seed: 0 })).classes, ['broken', 'only']);
  const report = await checkDataset(root, { valSplit: 0.2, seed: 0 });
  t.false(report.usable);
  t.regex(report.error!, /\(only\); empty: broken;/);
  t.is(report.unreadable.length, 1);
});

import test from 'ava';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventLines } from '../src/cli/render/train-events.ts';
import { scanDataset } from '../src/data/scan.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { advise } from '../src/training/advisor.ts';
import { evaluateRun } from '../src/inference/evaluate.ts';
import { predictRun } from '../src/inference/predict-run.ts';
import { RUN_FILES } from '../src/run/files.ts';
import { train } from '../src/training/train.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

// A folder with what real folders hold: empty files, a truncated JPEG, text saved as .jpg (the same
// bytes in two classes, so one content hash covers two unreadable paths), a dangling symlink and an
// empty class folder.
const tmp = await tempDir('tk-awkward-');
const data = join(tmp, 'data');
const weights = join(tmp, 'notop.h5');
await makeShapesDataset(data, { perClass: 6, val: 2, seed: 3, size: 32 });
await initWeights(weights, { includeTop: false, seed: 0 });
const jpeg = await (await import('sharp')).default({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).jpeg().toBuffer();
const bad: Record<string, RegExp> = {
  [join(data, 'train/circles/empty.jpg')]: /^empty file/,
  [join(data, 'train/squares/empty.jpg')]: /^empty file/,
  [join(data, 'train/circles/notes.jpg')]: /not an image format/,
  [join(data, 'train/squares/notes.jpg')]: /not an image format/,
  [join(data, 'validation/circles/notes.jpg')]: /not an image format/,
  [join(data, 'train/circles/truncated.jpg')]: /^truncated or corrupt image data$/,
  [join(data, 'train/squares/gone.jpg')]: /^dangling symbolic link/,
};
for (const path of Object.keys(bad)) {
  if (path.endsWith('empty.jpg')) await writeFile(path, '');
  if (path.endsWith('notes.jpg')) await writeFile(path, 'shopping list: milk, eggs\n');
}
await writeFile(join(data, 'train/circles/truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
await symlink(join(tmp, 'no-such-file.jpg'), join(data, 'train/squares/gone.jpg'));
await mkdir(join(data, 'train/triangles'));

test.after.always(() => rm(tmp, { recursive: true, force: true }));

const base = { inputSize: 32, weights, cache: join(tmp, 'cache'), batchSize: 4, dense: 0, dropout: 0, epochs: 1 } as const;

for (const strategy of ['freeze', 'slice', 'finetune', 'retrain', 'auto'] as const) {
  test.serial(`${strategy} trains on a folder with unreadable files and an empty class, naming every unreadable file in the manifest and the report`, async (t) => {
    const out = join(tmp, `run-${strategy}`);
    const lines: string[] = [];
    const result = await train(data, { ...base, strategy, epochs: strategy === 'finetune' ? 2 : 1, out }, { onEvent: (e) => lines.push(...eventLines(e)) });
    t.is(result.history.length, strategy === 'finetune' ? 2 : 1);
    const manifest = JSON.parse(await readFile(join(out, RUN_FILES.manifest), 'utf8')) as {
      splits: Record<string, { path: string }[]>;
      unreadable: { path: string; reason: string }[];
      warnings: string[];
    };
    t.deepEqual(manifest.unreadable.map((u) => u.path).sort(), Object.keys(bad).sort());
    for (const u of manifest.unreadable) t.regex(u.reason, bad[u.path]!, u.path);
    const used = Object.values(manifest.splits).flat().map((i) => i.path);
    t.is(used.length, 16);
    t.false(used.some((p) => p in bad));
    const report = await readFile(join(out, 'report.html'), 'utf8');
    for (const path of Object.keys(bad)) t.true(report.includes(path), `report names ${path}`);
    t.is(lines.filter((l) => l.includes('triangles')).length, 1, 'one warning line for the empty class');
    t.true(report.includes('triangles'));
  });
}

test.serial('advise, evaluate and predict name the same unreadable files, by path', async (t) => {
  const trainBad = Object.keys(bad).filter((p) => p.includes('/train/')).sort();
  const advice = await advise(await scanDataset(data, { valSplit: 0.2, seed: 0 }), { weights, inputSize: 32, cache: base.cache });
  t.deepEqual(advice.unreadable.map((u) => u.path).sort(), Object.keys(bad).sort());
  const runDir = join(tmp, 'run-freeze');
  // A folder other than the run's: every image of it is evaluated, unreadable ones named.
  const report = await evaluateRun(runDir, join(data, 'train'), { engine: 'tfjs' });
  t.deepEqual(report.unreadable.map((u) => u.path).sort(), trainBad);
  t.is(report.data.images, 12);
  const predicted = await predictRun(runDir, [join(data, 'train')], { engine: 'tfjs' });
  t.deepEqual(predicted.unreadable.map((u) => u.path).sort(), trainBad);
  for (const u of [...report.unreadable, ...predicted.unreadable, ...advice.unreadable]) t.regex(u.reason, bad[u.path]!, u.path);
});

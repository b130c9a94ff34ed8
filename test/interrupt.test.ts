import test from 'ava';
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractFeatures, type ExtractProgress } from '../src/cache/extract-features.ts';
import { scanDataset } from '../src/data/scan.ts';
import { InterruptedError } from '../src/errors.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { RESUME_DIR, RUN_FILES } from '../src/run/files.ts';
import { advise, PROBE_CUTS } from '../src/training/advisor.ts';
import type { TrainEvent } from '../src/training/events.ts';
import { train } from '../src/training/train.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

const tmp = await tempDir('tk-interrupt-');
const data = join(tmp, 'shapes');
const weights = join(tmp, 'notop.h5');
await makeShapesDataset(data, { perClass: 12, val: 4, seed: 5 });
await initWeights(weights, { includeTop: false, seed: 0 });
const dataset = await scanDataset(data, { valSplit: 0.2, seed: 0 });
const items = [...dataset.splits.train, ...dataset.splits.validation];
const prefix = { weights, inputSize: 32, batchSize: 4 } as const;
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

test.serial('extraction aborted after its first batch commits that batch only; the next run computes only the rest', async (t) => {
  const cache = join(tmp, 'cache-extract');
  const controller = new AbortController();
  const seen: ExtractProgress[] = [];
  const first = await extractFeatures(items, {
    ...prefix, cache, signal: controller.signal,
    onEvent: (e) => {
      if (e.type !== 'extract') return;
      seen.push(e.progress);
      if (e.progress.computed > 0) controller.abort();
    },
  });
  t.true(first.interrupted);
  t.is(first.computed, prefix.batchSize, 'the batch in flight when the signal fired, and no other');
  t.is(seen.filter((p) => p.computed > 0).length, 1, 'no progress after the abort');
  const second = await extractFeatures(items, { ...prefix, cache });
  t.false(second.interrupted);
  t.is(second.reused, first.computed, 'what the interrupted run extracted is reused');
  t.is(second.computed, items.length - first.computed);
});

test.serial('the advisor stops on the signal: during extraction, and during its linear probes', async (t) => {
  const cache = join(tmp, 'cache-advise');
  const during = new AbortController();
  const duringExtraction = await t.throwsAsync(advise(dataset, {
    ...prefix, cache, signal: during.signal,
    onEvent: (e) => {
      if (e.type === 'extract' && e.progress.computed > 0) during.abort();
    },
  }), { instanceOf: InterruptedError });
  t.regex(duringExtraction.message, /interrupted during feature extraction after 4 new images; they are cached/);

  // Aborted once the deep cut's features are all in: the probe on them stops after one batch.
  const probing = new AbortController();
  const inProbe = await t.throwsAsync(advise(dataset, {
    ...prefix, cache, signal: probing.signal,
    onEvent: (e) => {
      if (e.type === 'extract' && e.progress.done === e.progress.total) probing.abort();
    },
  }), { instanceOf: InterruptedError });
  t.is(inProbe.message, `interrupted while the advisor trained its linear probe on ${PROBE_CUTS.deep}; the features extracted so far are cached.`);

  const resumed = await extractFeatures(items, { ...prefix, cache, cut: PROBE_CUTS.deep });
  t.is(resumed.computed, 0, 'the probe cut was fully extracted before the abort');
});

// fp32: the checks below read the cache back with extractFeatures' own default precision.
const base = { strategy: 'freeze', inputSize: 32, weights, batchSize: 4, lr: 0.01, dense: 0, dropout: 0, patience: 0, reduceLrPatience: 0, precision: 'fp32' } as const;

test.serial('training aborted before its first epoch ends keeps nothing: InterruptedError and no run directory', async (t) => {
  const out = join(tmp, 'run-first-epoch');
  const controller = new AbortController();
  const onEvent = (e: TrainEvent): void => {
    if (e.type === 'training') controller.abort();
  };
  const err = await t.throwsAsync(train(data, { ...base, epochs: 5, out, cache: join(tmp, 'cache-train') }, { signal: controller.signal, onEvent }), { instanceOf: InterruptedError });
  t.regex(err.message, /before the first epoch finished.*run directory was removed/);
  t.false(await exists(out));
  // The features extracted before training are kept: a fresh signal runs to the end without computing them again.
  const again = await extractFeatures(items, { ...prefix, cache: join(tmp, 'cache-train') });
  t.is(again.computed, 0);
});

test.serial('training aborted in epoch 2 stops within that epoch, keeps epoch 1 and marks the run interrupted', async (t) => {
  const out = join(tmp, 'run-interrupted');
  const controller = new AbortController();
  const warnings: string[] = [];
  const onEvent = (e: TrainEvent): void => {
    if (e.type === 'epoch-end' && e.logs.epoch === 0) controller.abort();
    if (e.type === 'warning') warnings.push(e.warning.code);
  };
  const result = await train(data, { ...base, epochs: 50, out, cache: join(tmp, 'cache-train') }, { signal: controller.signal, onEvent });
  t.true(result.interrupted);
  t.is(result.history.length, 1, 'epoch 2 did not finish');
  t.is(result.bestEpoch, 0);
  const config = JSON.parse(await readFile(join(out, RUN_FILES.config), 'utf8')) as { interrupted?: { phase: string; epochsCompleted: number }; weights: { randomInit?: string } };
  t.is(config.weights.randomInit, 'glorot_uniform seed 0');
  t.like(config.interrupted, { phase: 'head', epochsCompleted: 1 });
  // An fp32 run has no int8 calibration to keep.
  const runFiles = Object.values(RUN_FILES).filter((f) => f !== RUN_FILES.calibration);
  t.deepEqual((await readdir(out)).sort(), [...runFiles, 'report.html', RESUME_DIR].sort(), 'every run file, complete (no temp file left), and the resume points for --resume');
  const report = await readFile(join(out, 'report.html'), 'utf8');
  t.regex(report, /<p class="banner">Interrupted \(Ctrl-C\) during the head phase after 1 finished epoch/);
  t.regex(report, /<p class="banner">random-init weights: accuracy here says nothing about ImageNet transfer: .*notop\.h5 was written by transferkit init-weights \(glorot_uniform seed 0\)/);
  t.deepEqual(warnings, ['random-init-weights'], 'the random-init warning, once');
});

test.serial('a signal that already fired is refused at once (no stale flag from an earlier phase)', async (t) => {
  const controller = new AbortController();
  controller.abort();
  await t.throwsAsync(train(data, { ...base, epochs: 1, out: join(tmp, 'never') }, { signal: controller.signal }), { instanceOf: InterruptedError, message: /already fired/ });
  t.false(await exists(join(tmp, 'never')));
});

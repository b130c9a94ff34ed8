import test from 'ava';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initWeights } from '../src/models/init-weights.ts';
import type { TrainEvent } from '../src/training/events.ts';
import { RUN_FILES } from '../src/run/files.ts';
import { train, type TrainResult } from '../src/training/train.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

// Tiny on purpose: 32 px, 6 + 3 images per class, a stray image (a dataset warning), a file that is
// not an image (an unreadable one) and random-init weights (a warning).
const tmp = await tempDir('tk-events-');
const data = join(tmp, 'shapes');
const weights = join(tmp, 'notop.h5');
await makeShapesDataset(data, { perClass: 6, val: 3, seed: 5, size: 32 });
await writeFile(join(data, 'train', 'circles', 'notes.png'), 'not an image\n');
await writeFile(join(data, 'train', 'stray.png'), 'outside any class folder\n');
await initWeights(weights, { includeTop: false, seed: 0 });
const base = { strategy: 'auto', inputSize: 32, weights, cache: join(tmp, 'cache'), batchSize: 4, dense: 0, dropout: 0, epochs: 2 } as const;

test.after.always(() => rm(tmp, { recursive: true, force: true }));

/** Runs `work` with every write to stdout and stderr caught instead of shown. */
async function captureOutput<T>(work: () => Promise<T>): Promise<{ value: T; written: string[] }> {
  const written: string[] = [];
  const streams = [process.stdout, process.stderr];
  const saved = streams.map((s) => s.write);
  for (const s of streams) s.write = ((chunk: unknown) => written.push(String(chunk)) > 0) as typeof s.write;
  try {
    return { value: await work(), written };
  } finally {
    streams.forEach((s, i) => (s.write = saved[i]!));
  }
}

/** Event kinds in the order each first appears. */
const firstSeen = (events: readonly TrainEvent[]): string[] => [...new Set(events.map((e) => e.type))];

test.serial('train reports progress as typed events in order and prints nothing', async (t) => {
  const events: TrainEvent[] = [];
  const out = join(tmp, 'run');
  const { value: result, written } = await captureOutput(() => train(data, { ...base, out }, { onEvent: (e) => events.push(e) }));
  t.deepEqual(written, [], 'nothing on stdout or stderr');
  t.deepEqual(firstSeen(events), ['scan', 'warning', 'precision', 'extract', 'advice', 'run-dir', 'unreadable', 'training', 'epoch-begin', 'batch', 'epoch-end', 'checkpoint', 'done']);

  t.like(events[0], { type: 'scan', dataDir: data, classes: ['circles', 'squares'], train: 13, validation: 6 });
  const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.warning.code] : []));
  t.deepEqual(warnings, ['dataset', 'random-init-weights']);
  const advice = events.find((e) => e.type === 'advice');
  t.deepEqual(advice?.type === 'advice' ? advice.advice : undefined, result.advice);
  t.deepEqual(events.find((e) => e.type === 'run-dir'), { type: 'run-dir', runDir: result.runDir });
  t.deepEqual(events.flatMap((e) => (e.type === 'unreadable' ? [e.image.path] : [])), [join(data, 'train', 'circles', 'notes.png')]);
  const extract = events.flatMap((e) => (e.type === 'extract' ? [e.progress] : []));
  t.true(extract.every((p) => p.done <= p.total && p.computed + p.reused + p.unreadable === p.done), 'progress adds up');
  t.is(extract.at(-1)!.done, extract.at(-1)!.total, 'the last extraction finished');
  t.like(events.find((e) => e.type === 'training'), { samples: 12, images: 12, validation: 6 });

  // Per epoch: its begin, one event per batch (3 batches of 4 out of 12), its end; the first epoch always checkpoints.
  const training = events.slice(events.findIndex((e) => e.type === 'epoch-begin'), -1);
  const epochs = result.history.length;
  t.is(epochs, 2);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const own = training.filter((e) => (e.type === 'epoch-end' ? e.logs.epoch : 'epoch' in e ? e.epoch : -1) === epoch).map((e) => e.type);
    t.deepEqual(own.filter((k) => k !== 'checkpoint'), ['epoch-begin', 'batch', 'batch', 'batch', 'epoch-end'], `epoch ${epoch}`);
  }
  const ends = training.flatMap((e) => (e.type === 'epoch-end' ? [e.logs] : []));
  t.deepEqual(ends, result.history, 'epoch-end carries the history');
  const checkpoints = training.flatMap((e) => (e.type === 'checkpoint' ? [e] : []));
  t.is(checkpoints[0]?.epoch, 0);
  t.is(checkpoints.at(-1)?.epoch, result.bestEpoch);
  t.is(checkpoints.at(-1)?.path, join(result.runDir, RUN_FILES.checkpoint));
  t.deepEqual(events.at(-1), { type: 'done', runDir: result.runDir, bestEpoch: result.bestEpoch, interrupted: false });
});

test.serial('an aborted run reports the interruption before it is done', async (t) => {
  const events: TrainEvent[] = [];
  const controller = new AbortController();
  const onEvent = (e: TrainEvent): void => {
    events.push(e);
    if (e.type === 'epoch-end') controller.abort();
  };
  const { value: result, written } = await captureOutput<TrainResult>(() => train(data, { ...base, strategy: 'freeze', out: join(tmp, 'stopped') }, { onEvent, signal: controller.signal }));
  t.deepEqual(written, []);
  t.true(result.interrupted);
  const [interrupted, done] = events.slice(-2);
  t.like(interrupted, { type: 'interrupted', interruption: { phase: 'head', epochsCompleted: 1 } });
  t.like(done, { type: 'done', bestEpoch: 0, interrupted: true });
});

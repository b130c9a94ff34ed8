import test from 'ava';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../src/errors.ts';
import { readKerasFile } from '../src/keras/index.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { RESUME_DIR, RUN_FILES } from '../src/run/files.ts';
import type { TrainEvent } from '../src/training/events.ts';
import { resumeTraining, train } from '../src/training/train.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tmp = await tempDir('tk-resume-');
const data = join(tmp, 'shapes');
const weights = join(tmp, 'notop.h5');
await makeShapesDataset(data, { perClass: 16, val: 4, seed: 2, size: 32 });
await initWeights(weights, { includeTop: false, seed: 0 });
test.after.always(() => rm(tmp, { recursive: true, force: true }));

interface Child {
  exit: Promise<number | null>;
  stderr: () => string;
  kill: () => void;
}

function cli(args: string[]): Child {
  const child = spawn(process.execPath, [join(repo, 'bin/transferkit.js'), ...args], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { exit: new Promise((r) => child.once('exit', (code) => r(code))), stderr: () => stderr, kill: () => child.kill('SIGKILL') };
}

/** Epochs completed according to the run's latest resume point (0 before the first). */
async function savedEpoch(runDir: string): Promise<number> {
  const names = await readdir(join(runDir, RESUME_DIR)).catch(() => [] as string[]);
  return Math.max(0, ...names.map((n) => /^p\d+-e(\d+)$/.exec(n)).filter((m) => m !== null).map((m) => Number(m[1])));
}

/** Run `args`, kill -9 it once `epoch` epochs are saved; its stderr when it exited by itself first. */
async function killAfter(args: string[], runDir: string, epoch: number): Promise<true | string> {
  const child = cli(args);
  let exited = false;
  void child.exit.then(() => (exited = true));
  while (!exited && (await savedEpoch(runDir)) < epoch) await new Promise((r) => setTimeout(r, 5));
  const killed = !exited;
  child.kill();
  await child.exit;
  return killed || child.stderr();
}

async function modelWeights(runDir: string): Promise<Map<string, Float32Array>> {
  const file = await readKerasFile(join(runDir, RUN_FILES.modelWeights));
  return new Map(file.layers.flatMap((l) => l.weights.map((w) => [`${l.name}/${w.name}`, w.data as Float32Array] as const)));
}

for (const [strategy, backend, epochs] of [['freeze', 'cpu', 12], ['finetune', 'wasm', 8]] as const) {
  test.serial(`${strategy}: kill -9 at three points, then train --resume: the final weights equal an uninterrupted run's`, async (t) => {
    const common = ['--backend', backend, 'train', '--strategy', strategy, '--input-size', '32', '--weights', weights, '--cache', join(tmp, 'cache'),
      '--epochs', String(epochs), '--batch-size', '4', '--lr', '0.01', '--dropout', '0.3', '--patience', String(epochs), '--reduce-lr-patience', '2', '--quiet', '--seed', '7'];
    const reference = join(tmp, `${strategy}-reference`);
    const ok = cli([...common, data, '--out', reference]);
    t.is(await ok.exit, 0, ok.stderr());

    const runDir = join(tmp, `${strategy}-killed`);
    const points = [2, 4, 6];
    t.is(await killAfter([...common, data, '--out', runDir], runDir, points[0]!), true, 'the first kill lands before the run finishes');
    for (const at of points.slice(1)) t.is(await killAfter(['--backend', backend, 'train', '--resume', runDir], runDir, at), true, `a kill after epoch ${at}`);
    // A temp file a killed atomic write left behind is cleaned by the next run.
    const stale = join(runDir, `.${RUN_FILES.modelWeights}.99999.0badc0de.tmp`);
    await writeFile(stale, 'half a file');
    const last = cli(['--backend', backend, 'train', '--resume', runDir]);
    t.is(await last.exit, 0, last.stderr());
    t.regex(last.stderr(), /resuming .* after epoch \d+/);
    t.false((await readdir(runDir)).includes(`.${RUN_FILES.modelWeights}.99999.0badc0de.tmp`));

    const [want, got] = [await modelWeights(reference), await modelWeights(runDir)];
    t.deepEqual([...got.keys()], [...want.keys()]);
    let maxDiff = 0;
    for (const [name, w] of want) {
      const g = got.get(name)!;
      for (let i = 0; i < w.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w[i]! - g[i]!));
    }
    t.true(maxDiff <= 1e-6, `max |difference| ${maxDiff}`);
    const history = async (dir: string) => JSON.parse(await readFile(join(dir, RUN_FILES.history), 'utf8')) as { val_loss: number; lr: number }[];
    t.deepEqual((await history(runDir)).map((h) => h.lr), (await history(reference)).map((h) => h.lr));
  });
}

test.serial('Ctrl-C (the abort signal) mid-run, then resumeTraining: the same weights as an uninterrupted run; a finished run is not resumed', async (t) => {
  const options = { strategy: 'freeze', inputSize: 32, weights, cache: join(tmp, 'cache'), epochs: 5, batchSize: 4, lr: 0.01, seed: 3, precision: 'int8' } as const;
  const reference = await train(data, { ...options, out: join(tmp, 'abort-reference') });
  const controller = new AbortController();
  const out = join(tmp, 'aborted');
  const onEvent = (e: TrainEvent) => {
    if (e.type === 'epoch-end' && e.logs.epoch === 2) controller.abort();
  };
  const stopped = await train(data, { ...options, out }, { onEvent, signal: controller.signal });
  t.true(stopped.interrupted);
  t.is(stopped.history.length, 3);
  t.is(stopped.extraction.precision.precision, 'int8');
  const resumeEvents: TrainEvent[] = [];
  const resumed = await resumeTraining(out, { onEvent: (e) => resumeEvents.push(e) });
  t.false(resumed.interrupted);
  // The resumed run reads the int8 features it started with, under the recorded calibration, without deciding again.
  t.deepEqual(resumed.extraction.precision, stopped.extraction.precision);
  t.false(resumeEvents.some((e) => e.type === 'precision'));
  t.like(resumeEvents.find((e) => e.type === 'run-dir'), { runDir: out, resume: { afterEpoch: 3 } });
  t.true((await readdir(out)).includes(RUN_FILES.calibration));
  t.deepEqual(resumed.history.map((h) => h.val_loss), reference.history.map((h) => h.val_loss));
  const [want, got] = [await modelWeights(reference.runDir), await modelWeights(out)];
  for (const [name, w] of want) t.deepEqual(got.get(name), w, name);
  await t.throwsAsync(resumeTraining(out), { instanceOf: UserError, message: /already finished/ });
});

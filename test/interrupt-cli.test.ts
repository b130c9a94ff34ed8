import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultOf, precisionSchema } from '../src/options/pieces.ts';
import { extractFeatures } from '../src/cache/extract-features.ts';
import { scanDataset } from '../src/data/scan.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { featureCacheDir } from '../src/util/user-dirs.ts';
import { RUN_FILES } from '../src/run/files.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

// Ctrl-C typed into a real pseudo-terminal (util-linux `script`): the kernel sends SIGINT, and the
// progress bars draw because stderr is a TTY, exactly as a user sees it.
const hasScript = spawnSync('script', ['--version']).status === 0;
const ptyTest = hasScript ? test.serial : test.skip;

const repo = fileURLToPath(new URL('..', import.meta.url));
const tmp = await tempDir('tk-interrupt-cli-');
const data = join(tmp, 'shapes');
const weights = join(tmp, 'notop.h5');
const cache = join(tmp, 'cache');
await makeShapesDataset(data, { perClass: 60, val: 10, seed: 2 });
await initWeights(weights, { includeTop: false, seed: 0 });
// The wizard's default feature cache and models folder live here, not in the user's own.
const home = join(tmp, 'home');
const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
const trainFlags = ['--strategy', 'freeze', '--weights', weights, '--input-size', '64', '--cache', cache, '--batch-size', '4', '--dense', '0', '--patience', '0', '--reduce-lr-patience', '0'];

/** The CLI in a pty: wait for text on its screen, type keys (Ctrl-C is \x03), await its exit code. */
class PtySession {
  screen = '';
  private offset = 0;
  private waiter: { pattern: RegExp; resolve: () => void } | undefined;
  readonly exited: Promise<number | null>;
  private readonly child;

  constructor(args: string[]) {
    const command = [process.execPath, join(repo, 'bin/transferkit.js'), ...args].map((a) => `'${a}'`).join(' ');
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: tmp, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, COLUMNS: '200', TRANSFERKIT_HOME: home, KERAS_HOME: home } });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.screen += chunk.toString('utf8');
      this.check();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      this.child.stdin.end();
      resolve(code);
    }));
  }

  private check(): void {
    const match = this.waiter?.pattern.exec(this.screen.slice(this.offset));
    if (!this.waiter || !match) return;
    this.offset += match.index + match[0].length;
    const { resolve } = this.waiter;
    this.waiter = undefined;
    resolve();
  }

  /** Resolves once `pattern` shows up after the previous match (rejects if the process ends first). */
  waitFor(pattern: RegExp): Promise<void> {
    const shown = new Promise<void>((resolve) => {
      this.waiter = { pattern, resolve };
      this.check();
    });
    return Promise.race([shown, this.exited.then(() => Promise.reject(new Error(`exited before ${pattern}:\n${this.screen.slice(-1500)}`)))]);
  }

  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  async answer(pattern: RegExp, keys: string): Promise<void> {
    await this.waitFor(pattern);
    this.type(keys);
  }
}

/** Run a command; type Ctrl-C once `when` matches. Resolves with everything shown, the screen at Ctrl-C, and the exit code. */
async function interruptWhen(args: string[], when: RegExp): Promise<{ screen: string; code: number | null; screenAtCtrlC: string }> {
  const session = new PtySession(args);
  await session.waitFor(when);
  const screenAtCtrlC = session.screen;
  session.type('\x03');
  const code = await session.exited;
  return { screen: session.screen, code, screenAtCtrlC };
}

/** Every hidden cursor is shown again and every disabled line wrap re-enabled before `message`. */
function assertTerminalRestoredBefore(t: import('ava').ExecutionContext, screen: string, message: string): void {
  const at = screen.indexOf(message);
  t.true(at > 0, `"${message}" is shown`);
  const before = screen.slice(0, at);
  t.true(before.includes('\x1b[?25l'), 'a progress bar hid the cursor');
  t.true(before.lastIndexOf('\x1b[?25h') > before.lastIndexOf('\x1b[?25l'), 'cursor shown again before the message');
  t.true(before.lastIndexOf('\x1b[?7h') > before.lastIndexOf('\x1b[?7l'), 'line wrap back on before the message');
  t.regex(before, /\n$/, 'the message starts on its own line');
}

ptyTest('Ctrl-C during extraction in `train`: stops after the batch in flight, terminal restored, no run directory; the next run computes only the rest', async (t) => {
  const out = join(tmp, 'run-extract');
  const r = await interruptWhen(['train', data, ...trainFlags, '--precision', 'fp32', '--epochs', '3', '--out', out], /extract .* img\/s/);
  t.is(r.code, 130, r.screen.slice(-500));
  assertTerminalRestoredBefore(t, r.screen, 'stopping after the current batch');
  const done = /interrupted during feature extraction after (\d+) new images/.exec(r.screen);
  t.truthy(done, r.screen.slice(-500));
  const computed = Number(done![1]);
  const dataset = await scanDataset(data, { valSplit: 0.2, seed: 1337 });
  const items = [...dataset.splits.train, ...dataset.splits.validation.map((i) => ({ ...i, augment: false }))];
  t.true(computed < items.length, `${computed} of ${items.length}: stopped before the end`);
  t.false(await exists(out), 'no empty run directory');
  const resumed = await extractFeatures(items, { weights, inputSize: 64, cache });
  t.is(resumed.reused, computed, 'every image extracted before Ctrl-C is reused');
  t.is(resumed.computed, items.length - computed);
});

ptyTest('Ctrl-C during training in `train`: stops within the epoch it is in, terminal restored, run marked interrupted with its best checkpoint', async (t) => {
  const out = join(tmp, 'run-train');
  const r = await interruptWhen(['train', data, ...trainFlags, '--epochs', '200', '--out', out], /epoch 2\/200 \[head\]/);
  t.is(r.code, 130, r.screen.slice(-500));
  assertTerminalRestoredBefore(t, r.screen, 'stopping after the current batch');
  const config = JSON.parse(await readFile(join(out, RUN_FILES.config), 'utf8')) as { interrupted?: { epochsCompleted: number } };
  const history = JSON.parse(await readFile(join(out, RUN_FILES.history), 'utf8')) as unknown[];
  t.is(config.interrupted?.epochsCompleted, history.length);
  t.is(history.length, [...r.screenAtCtrlC.matchAll(/epoch \d+\/200 \[head\] loss/g)].length, 'no epoch finished after Ctrl-C');
  for (const f of [RUN_FILES.checkpoint, RUN_FILES.modelWeights, 'report.html']) t.true(await exists(join(out, f)), f);
  t.regex(r.screen, /run directory: .*\(interrupted/);
  t.regex(r.screen, /warning: random-init weights: accuracy here says nothing about ImageNet transfer/);
});

const KEY = { enter: '\r', up: '\x1b[A', down: '\x1b[B' } as const;

/** The wizard up to the similarity question: data folder, weights by path, 64 px. */
async function wizardUpToSimilarity(): Promise<PtySession> {
  const wizard = new PtySession(['wizard']);
  await wizard.answer(/Data folder/, `${data}${KEY.enter}`);
  await wizard.answer(/VGG16 weights to start from/, `${KEY.up}${KEY.up}${KEY.enter}`); // loops to "a Keras weights file somewhere else"
  await wizard.answer(/Weights file \(\.h5\)/, `${weights}${KEY.enter}`);
  await wizard.answer(/Image size/, `64${KEY.enter}`);
  await wizard.waitFor(/everyday photos/);
  return wizard;
}

ptyTest('Ctrl-C in the wizard while the advisor measures: its linear probe stops, the wizard ends (130) with nothing written', async (t) => {
  const wizardCache = featureCacheDir({ TRANSFERKIT_HOME: home });
  const dataset = await scanDataset(data, { valSplit: 0.2, seed: 1337 });
  // Validation images are not calibrated on: the same int8 calibration the wizard decides on its training images.
  const items = [...dataset.splits.train, ...dataset.splits.validation.map((i) => ({ ...i, augment: false }))];
  // Both probe cuts already cached (one pass, the wizard's default precision), so Ctrl-C lands in the probes' training.
  await extractFeatures(items, { weights, inputSize: 64, cache: wizardCache, cut: 'block5_pool', extraCuts: ['block3_pool'], precision: defaultOf(precisionSchema) });
  const wizard = await wizardUpToSimilarity();
  t.regex(wizard.screen, /warning: random-init weights: accuracy here says nothing about ImageNet transfer/);
  wizard.type(KEY.enter); // "not sure: let the advisor measure it"
  await wizard.waitFor(/measuring: linear probes/);
  wizard.type('\x03');
  t.is(await wizard.exited, 130, wizard.screen.slice(-800));
  t.regex(wizard.screen, /interrupted while the advisor trained its linear probe on block5_pool/);
  t.notRegex(wizard.screen, /Strategy:/, 'no further question');
  t.false(await exists(join(tmp, 'runs')), 'no run directory');
});

ptyTest('Ctrl-C in the wizard during training: stops within the epoch, terminal restored; the saved config has no run directory', async (t) => {
  const out = join(tmp, 'wizard-run');
  const wizard = await wizardUpToSimilarity();
  wizard.type(`${KEY.up}${KEY.up}${KEY.enter}`); // "similar": no measuring
  await wizard.answer(/Strategy:/, KEY.enter);
  await wizard.answer(/Augmentation/, `${KEY.down.repeat(3)}${KEY.enter}`);
  await wizard.answer(/Epochs:/, `200${KEY.enter}`);
  await wizard.answer(/Batch size:/, `4${KEY.enter}`);
  await wizard.answer(/Learning rate/, KEY.enter);
  await wizard.answer(/Run directory/, `${out}${KEY.enter}`);
  await wizard.answer(/Start training now\?/, KEY.enter);
  await wizard.waitFor(/epoch 2\/200 \[head\]/);
  const atCtrlC = wizard.screen;
  wizard.type('\x03');
  t.is(await wizard.exited, 130, wizard.screen.slice(-800));
  assertTerminalRestoredBefore(t, wizard.screen, 'stopping after the current batch');
  t.regex(wizard.screen, /training stopped; the best checkpoint \(epoch \d+\) is kept in .* \(marked interrupted\)/);
  const config = JSON.parse(await readFile(join(out, RUN_FILES.config), 'utf8')) as { interrupted?: { epochsCompleted: number } };
  const history = JSON.parse(await readFile(join(out, RUN_FILES.history), 'utf8')) as unknown[];
  t.is(config.interrupted?.epochsCompleted, history.length);
  t.is(history.length, [...atCtrlC.matchAll(/epoch \d+\/200 \[head\] loss/g)].length, 'no epoch finished after Ctrl-C');
  const saved = JSON.parse(await readFile(`${out}.json`, 'utf8')) as Record<string, unknown>;
  t.like(saved, { strategy: 'freeze', epochs: 200, batchSize: 4 });
  t.false('out' in saved, 'repeating the saved config makes a new run directory');
});

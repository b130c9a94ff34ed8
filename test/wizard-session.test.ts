import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { access, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { parseTrainArgs } from '../src/cli/train.ts';
import { parseAugmentOptions } from '../src/data/augment-options.ts';
import { OFFICIAL_FILES } from '../src/models/fetch.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { RUN_FILES } from '../src/run/files.ts';
import { isPromptExit } from '../src/cli/wizard/io.ts';
import { runWizard } from '../src/cli/wizard/run-wizard.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { KEY, ScriptedTerminal } from './wizard-terminal.ts';
import { tempDir } from './helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tmp = await tempDir('tk-wizard-');
const data = join(tmp, 'shapes');
const models = join(tmp, 'models');
await makeShapesDataset(data, { perClass: 8, val: 4, seed: 3 });
await initWeights(join(models, OFFICIAL_FILES.notop.name), { includeTop: false, seed: 0 });
const oneClass = join(tmp, 'one-class', 'only');
await mkdir(oneClass, { recursive: true });
await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toFile(join(oneClass, 'a.png'));

/** Each test runs in its own empty folder, so default paths (runs/, .cache/) land there and can be checked. */
async function inFreshDir(name: string): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir);
  process.chdir(dir);
  return dir;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

test.serial('happy path with every default: trains, evaluates, reports, prints the command and saves a --config file', async (t) => {
  const cwd = await inFreshDir('happy');
  const term = new ScriptedTerminal();
  const session = runWizard({ streams: term, modelsDir: models, previewDir: cwd });
  await term.answer(/Data folder/, `${data}${KEY.enter}`);
  await term.waitFor(/usable: yes/);
  for (const prompt of [/VGG16 weights/, /Image size/, /everyday photos/, /Strategy:/, /Augmentation/, /Epochs:/, /Batch size:/, /Learning rate/, /Run directory/, /Start training now\?/]) {
    await term.answer(prompt, KEY.enter);
  }
  const result = await session;
  t.is(result.status, 'done');
  if (result.status !== 'done') return;
  const a = result.answers;
  t.like(a, { dataDir: data, weights: join(models, OFFICIAL_FILES.notop.name), inputSize: 224, augment: 'light', epochs: 10, batchSize: 32, lr: 1e-3, seed: 1337 });
  t.regex(a.out, /^runs\/.*-(freeze|slice)$/, 'small data: the recommendation is freeze or slice');
  t.regex(term.screen, /advisor: linear probe on block5_pool/);
  t.regex(term.screen, /recommended: (freeze|slice) \(small data, similarity measured on random-init weights, so it says nothing about everyday photos\)/);
  t.is(term.screen.match(/random-init weights: accuracy here says nothing about ImageNet transfer/g)?.length, 1, 'the official-named init-weights file is flagged once');
  t.true(await exists(join(cwd, 'transferkit-augment-light.png')), 'the preview PNG is written where the wizard said');
  t.true(term.screen.includes(`equivalent command:\n  ${result.command}`));

  const runDir = join(cwd, a.out);
  for (const f of [...Object.values(RUN_FILES), 'evaluation.json', 'confusion.png', 'report.html']) t.true(await exists(join(runDir, f)), f);
  t.regex(term.screen, /accuracy \d+\.\d% on 8 images/);
  t.true(term.screen.includes(`report: ${join(runDir, 'report.html')}`));

  // The saved config is what `transferkit train` makes of the printed flags, less --out (so that
  // repeating it makes a new run directory), and the run used it.
  const saved = JSON.parse(await readFile(join(cwd, `${a.out}.json`), 'utf8')) as Record<string, unknown>;
  const words = result.command.split(' ').slice(2);
  const { out, augment: printedAugment, ...printed } = (await parseTrainArgs(words)).options;
  t.is(out, a.out);
  const { augment: savedAugment, ...savedRest } = saved;
  t.deepEqual(savedRest, JSON.parse(JSON.stringify(printed)));
  t.deepEqual(parseAugmentOptions(savedAugment), parseAugmentOptions(printedAugment), 'the preset saved is the one printed');
  const config = JSON.parse(await readFile(join(runDir, RUN_FILES.config), 'utf8')) as { options: Record<string, unknown> };
  t.like(config.options, saved);
});

test.serial('invalid answers are re-asked with the reason; declining writes nothing', async (t) => {
  const cwd = await inFreshDir('invalid');
  const term = new ScriptedTerminal();
  const session = runWizard({ streams: term, modelsDir: models, previewDir: cwd });
  await term.answer(/Data folder/, `${join(tmp, 'nope')}${KEY.enter}`);
  await term.answer(/not found or not a directory/, `${KEY.clearLine}${join(tmp, 'one-class')}${KEY.enter}`);
  await term.answer(/need at least two/, `${KEY.clearLine}${data}${KEY.enter}`);
  await term.answer(/VGG16 weights/, KEY.enter);
  await term.answer(/Image size/, `64${KEY.enter}`);
  await term.answer(/everyday photos/, `${KEY.up}${KEY.enter}`); // "different": no measuring
  await term.answer(/recommended: slice \(8 training images per class is small/, '');
  await term.answer(/Strategy:/, KEY.enter);
  await term.answer(/Augmentation/, `${KEY.down.repeat(3)}${KEY.enter}`); // none: no preview
  await term.answer(/Epochs:/, `2${KEY.enter}`);
  await term.answer(/Batch size:/, KEY.enter);
  await term.answer(/Learning rate/, `abc${KEY.enter}`);
  await term.answer(/--lr: "abc" is not a number/, `${KEY.clearLine}0.01${KEY.enter}`);
  await term.answer(/Run directory/, `${KEY.enter}`);
  await term.answer(/Start training now\?/, `n${KEY.enter}`);
  const result = await session;
  t.is(result.status, 'declined');
  t.like(result.answers, { strategy: 'slice', augment: 'none', inputSize: 64, epochs: 2, lr: 0.01 });
  t.regex(result.command, /--strategy slice .*--lr 0\.01 /);
  t.deepEqual(await readdir(cwd), [], 'no run directory, no config file, no preview');
});

test.serial('Ctrl-C at a question exits with ExitPromptError and leaves no run directory', async (t) => {
  const cwd = await inFreshDir('ctrl-c');
  const term = new ScriptedTerminal();
  const session = runWizard({ streams: term, modelsDir: models, previewDir: cwd });
  await term.answer(/Data folder/, `${data}${KEY.enter}`);
  await term.answer(/VGG16 weights/, KEY.enter);
  await term.answer(/Image size/, `64${KEY.enter}`);
  await term.answer(/everyday photos/, `${KEY.down}${KEY.enter}`);
  await term.answer(/Strategy:/, KEY.enter);
  await term.answer(/Augmentation/, KEY.enter);
  await term.answer(/Epochs:/, KEY.ctrlC);
  const err = await t.throwsAsync(session);
  t.true(isPromptExit(err), String(err));
  t.deepEqual((await readdir(cwd)).filter((f) => !f.endsWith('.png')), [], 'only the augmentation preview exists; no run directory or config');
});

test.serial('a failed download of the official weights is reported and the weights question asked again', async (t) => {
  const cwd = await inFreshDir('fetch-fails');
  const emptyModels = join(cwd, 'models');
  const requested: string[] = [];
  const mirror = createServer((req, res) => {
    requested.push(req.url ?? '');
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => mirror.listen(0, '127.0.0.1', ok));
  const saved = process.env.TRANSFERKIT_WEIGHTS_BASE_URL;
  process.env.TRANSFERKIT_WEIGHTS_BASE_URL = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`;
  try {
    const term = new ScriptedTerminal();
    const session = runWizard({ streams: term, modelsDir: emptyModels, previewDir: cwd });
    await term.answer(/Data folder/, `${data}${KEY.enter}`);
    await term.answer(/VGG16 weights/, KEY.enter);
    await term.waitFor(/could not download the weights: .*404/);
    await term.answer(/VGG16 weights/, `${KEY.down}${KEY.down}${KEY.enter}`);
    await term.waitFor(/random-init weights: /);
    await term.answer(/Image size/, KEY.ctrlC);
    t.true(isPromptExit(await t.throwsAsync(session)));
    const official = [OFFICIAL_FILES.classIndex.name, OFFICIAL_FILES.notop.name].map((name) => `/${name}`);
    t.true(requested.length > 0 && requested.every((url) => official.includes(url)), requested.join(', '));
    t.deepEqual(await readdir(emptyModels), ['vgg16_random_init_notop_seed1337.h5'], 'nothing half-downloaded is left in models/');
  } finally {
    if (saved === undefined) delete process.env.TRANSFERKIT_WEIGHTS_BASE_URL;
    else process.env.TRANSFERKIT_WEIGHTS_BASE_URL = saved;
    mirror.close();
  }
});

test('without a terminal the wizard refuses in one line pointing to the flags', (t) => {
  const r = spawnSync(process.execPath, [join(repo, 'bin/transferkit.js'), 'wizard'], { cwd: tmp, input: '', encoding: 'utf8' });
  t.is(r.status, 1);
  t.is(r.stderr.trim().split('\n').length, 1);
  t.regex(r.stderr, /interactive terminal.*transferkit train DATA_DIR/);
});

/**
 * One option vocabulary: commands that share an option share its default, so commands meant to
 * agree do. On a tiny class-folders dataset (no validation/ folder: the seed decides the split) at
 * 32 px with random-init weights, through the CLI as a user types it.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { createRng } from '../src/data/random.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { tempDir } from './helpers/temp-dir.ts';

const cli = fileURLToPath(new URL('../bin/transferkit.js', import.meta.url));
const run = async (...args: string[]): Promise<unknown> => JSON.parse((await promisify(execFile)(process.execPath, [cli, ...args], { maxBuffer: 1 << 26 })).stdout);

const SIZE = '32';
let dir = '';
let data = '';
let weights = '';

test.before(async () => {
  dir = await tempDir('tk-options-agree-');
  data = join(dir, 'data');
  // Noise: the probes' accuracy depends on which images the split holds out, so two splits show.
  const rng = createRng('options-agree');
  for (const cls of ['a', 'b', 'c']) {
    await mkdir(join(data, cls), { recursive: true });
    for (let i = 0; i < 10; i++) {
      const raw = Buffer.from(Array.from({ length: 40 * 40 * 3 }, () => Math.floor(rng() * 256)));
      await sharp(raw, { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(join(data, cls, `${i}.png`));
    }
  }
  weights = join(dir, 'notop.h5');
  await initWeights(weights, { includeTop: false });
});

test.after.always(() => rm(dir, { recursive: true, force: true }));

interface Advice { strategy: string; probe: { deep: number; early: number } }

test.serial('advise DIR and train DIR --strategy auto give the same advice (same seed: same split and probes)', async (t) => {
  const common = ['--weights', weights, '--input-size', SIZE, '--cache', join(dir, 'cache-advise')];
  const advised = (await run('advise', data, ...common, '--json')) as Advice;
  const trained = (await run('train', data, ...common, '--strategy', 'auto', '--epochs', '1', '--batch-size', '8', '--out', join(dir, 'run-auto'), '--json')) as { advice: Advice };
  t.deepEqual(trained.advice.probe, advised.probe);
  t.is(trained.advice.strategy, advised.strategy);
  // The comparison can fail: another seed (advise's old default, 0) splits and probes differently.
  const seed0 = (await run('advise', data, ...common, '--seed', '0', '--json')) as Advice;
  t.notDeepEqual(seed0.probe, advised.probe);
});

test.serial('extract --augment-copies 1 then train --augment-copies 1 reuses every cached copy', async (t) => {
  const common = ['--weights', weights, '--input-size', SIZE, '--cache', join(dir, 'cache-extract'), '--augment', 'standard', '--augment-copies', '1'];
  const extracted = (await run('extract', data, ...common, '--json')) as { computed: number; total: number };
  t.true(extracted.computed > 30, `the originals and the training images' copies are computed (${extracted.computed})`);
  const trained = (await run('train', data, ...common, '--strategy', 'freeze', '--epochs', '1', '--batch-size', '8', '--out', join(dir, 'run-freeze'), '--json')) as { extraction: { computed: number } };
  t.is(trained.extraction.computed, 0);
});

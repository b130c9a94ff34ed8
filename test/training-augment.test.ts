/**
 * Augmentation for feature strategies, end to end through the CLI: `train --augment standard
 * --augment-copies 2` caches the original plus two augmented copies of every training image (and
 * only the original of every validation image) and trains on all of them. Tiny images and input 32
 * keep the frozen prefix cheap; random-init weights are enough to tell copies apart.
 */
import { DEFAULT_RESIZE } from '../src/data/decode.ts';
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePrefix } from '../src/cache/extract-features.ts';
import { FeatureStore, ORIGINAL_VARIANT } from '../src/cache/feature-store.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { RUN_FILES } from '../src/run/files.ts';
import { makeShapesDataset } from './training-shapes.ts';
import { tempDir } from './helpers/temp-dir.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tmp = await tempDir('tk-train-augment-');
const data = join(tmp, 'shapes');
const weights = join(tmp, 'notop.h5');
const cache = join(tmp, 'cache');
await makeShapesDataset(data, { perClass: 4, val: 2, seed: 3, size: 48 });
await initWeights(weights, { includeTop: false, seed: 0 });

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repo, 'bin/transferkit.js'), ...args], { cwd: repo });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

type Manifest = { splits: Record<'train' | 'validation', { hash: string }[]> };

/** Cached variants per image hash under the prefix `cut` at input 32. */
async function cachedVariants(cut: string): Promise<Map<string, Map<string, Float32Array>>> {
  const { fingerprint } = await resolvePrefix({ weights, cut, inputSize: 32, resize: DEFAULT_RESIZE });
  const store = await FeatureStore.open(cache, { readOnly: true });
  try {
    const keys = [...store.entries(fingerprint)].map((e) => e.key);
    const values = await store.get(keys);
    const byImage = new Map<string, Map<string, Float32Array>>();
    keys.forEach((key, i) => {
      const [, , imageHash, variant] = key.split('/') as [string, string, string, string];
      if (!byImage.has(imageHash)) byImage.set(imageHash, new Map());
      byImage.get(imageHash)!.set(variant, values[i]!);
    });
    return byImage;
  } finally {
    await store.close();
  }
}

for (const [strategy, cut] of [['freeze', 'block5_pool'], ['slice', 'block3_pool']] as const) {
  test.serial(`${strategy}: --augment standard --augment-copies 2 trains on originals plus 2 cached copies`, async (t) => {
    const out = join(tmp, `run-${strategy}`);
    const extra = strategy === 'slice' ? ['--slice-at', 'block3_pool'] : [];
    const run = await cli(['train', data, '--strategy', strategy, ...extra, '--input-size', '32', '--weights', weights, '--cache', cache, '--out', out,
      '--epochs', '2', '--batch-size', '4', '--augment', 'standard', '--augment-copies', '2', '--horizontal-flip', '--precision', 'fp32', '--quiet']);
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /best epoch/);
    t.regex(run.stderr, /training on 24 samples \(8 images x 3 variants: original \+ augmented copies\), validating on 4/);
    // Without a TTY, extraction reports progress as lines: 8 training images x 3 variants + 4 validation.
    t.regex(run.stderr, /^extract: 28\/28 images \(computed 28, reused 0, unreadable 0\)/m);
    const config = JSON.parse(await readFile(join(out, RUN_FILES.config), 'utf8')) as { options: { augmentCopies: number; augment: { horizontalFlip: boolean } } };
    t.is(config.options.augmentCopies, 2);
    t.true(config.options.augment.horizontalFlip);
    const history = JSON.parse(await readFile(join(out, RUN_FILES.history), 'utf8')) as unknown[];
    t.is(history.length, 2);

    const manifest = JSON.parse(await readFile(join(out, RUN_FILES.manifest), 'utf8')) as Manifest;
    const cached = await cachedVariants(cut);
    t.is(cached.size, manifest.splits.train.length + manifest.splits.validation.length);
    for (const { hash } of manifest.splits.validation) t.deepEqual([...cached.get(hash)!.keys()], [ORIGINAL_VARIANT], 'validation: the original only');
    for (const { hash } of manifest.splits.train) {
      const variants = cached.get(hash)!;
      t.is(variants.size, 3, 'train: the original and two augmented copies');
      const original = variants.get(ORIGINAL_VARIANT)!;
      const copies = [...variants].filter(([v]) => v !== ORIGINAL_VARIANT).map(([, f]) => f);
      for (const copy of copies) t.true(copy.some((x, i) => Math.abs(x - original[i]!) > 1e-6), 'an augmented copy has its own features');
      t.true(copies[0]!.some((x, i) => x !== copies[1]![i]), 'the two copies differ');
    }
  });
}

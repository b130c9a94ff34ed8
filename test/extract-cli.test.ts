// `transferkit extract --workers --float16` and `npm run cache-bottlenecks` end to end, on a tiny
// generated dataset and init-weights weights; the exports are read back by NumPy and h5py when the
// oracle venv exists (npm run oracle:setup).
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { extractFeatures, loadFeatures } from '../src/cache/extract-features.ts';
import { scanDataset } from '../src/data/scan.ts';
import { initWeights } from '../src/models/init-weights.ts';
import { tempDir } from './helpers/temp-dir.ts';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const python = join(root, 'scripts', 'oracle', '.venv', 'bin', 'python');
const SIZE = 32;
const CLASSES = { ants: 4, bees: 3 } as const;

async function fixture(t: import('ava').ExecutionContext): Promise<{ dir: string; data: string; weights: string }> {
  const dir = await tempDir('tk-extract-cli-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const data = join(dir, 'bugs');
  let seed = 0;
  for (const [cls, n] of Object.entries(CLASSES)) {
    await mkdir(join(data, cls), { recursive: true });
    for (let i = 0; i < n; i++, seed++) {
      const raw = Buffer.alloc(40 * 36 * 3);
      for (let p = 0; p < raw.length; p++) raw[p] = (p * (5 + seed * 11) + seed * 29) % 256;
      await sharp(raw, { raw: { width: 40, height: 36, channels: 3 } }).png().toFile(join(data, cls, `${i}.png`));
    }
  }
  const weights = join(dir, 'notop.h5');
  await initWeights(weights, { includeTop: false });
  return { dir, data, weights };
}

const cli = (args: string[]) => run(process.execPath, [join(root, 'bin', 'transferkit.js'), ...args], { cwd: root, maxBuffer: 1 << 24 });

test('extract --workers 2 --float16 through the CLI caches every image once in half precision', async (t) => {
  const f = await fixture(t);
  const cache = join(f.dir, 'cache16');
  const args = ['extract', f.data, '--weights', f.weights, '--cut', 'block2_pool', '--input-size', String(SIZE), '--cache', cache, '--engine', 'tfjs', '--workers', '2', '--batch-size', '2', '--float16', '--json'];
  const first = JSON.parse((await cli(args)).stdout) as { computed: number; reused: number; engine: string; bytesWritten: number };
  const images = CLASSES.ants + CLASSES.bees;
  t.is(first.computed, images);
  t.regex(first.engine, /^tfjs/);
  const perImage = (SIZE / 4) * (SIZE / 4) * 128;
  t.is(first.bytesWritten, images * perImage * 2, 'float16: two bytes per feature');
  const second = JSON.parse((await cli(args)).stdout) as { computed: number; reused: number };
  t.deepEqual([second.computed, second.reused], [0, images]);

  // The same prefix in float32 on onnx in this process: within engine agreement (1e-4 x max(1, |v|))
  // plus half-precision rounding (2^-11 relative).
  const items = (await scanDataset(f.data, { valSplit: 0.2, seed: 0 })).splits.train!;
  const prefix = { weights: f.weights, cut: 'block2_pool', inputSize: SIZE };
  const half = await loadFeatures(items, { ...prefix, cache });
  await extractFeatures(items, { ...prefix, cache: join(f.dir, 'cache32'), engine: 'onnx' });
  const full = await loadFeatures(items, { ...prefix, cache: join(f.dir, 'cache32') });
  t.deepEqual(half.shape, [items.length, SIZE / 4, SIZE / 4, 128]);
  let worst = 0;
  for (let i = 0; i < full.features.length; i++) {
    const v = Math.abs(full.features[i]!);
    worst = Math.max(worst, Math.abs(half.features[i]! - full.features[i]!) / (1e-4 * Math.max(1, v) + 2 ** -11 * v));
  }
  t.true(worst <= 1, `worst error / allowed error ${worst}`);
  t.true(full.features.some((v) => v > 0.1), 'features are not all ~0');
});

const bottlenecks = (args: string[]) => run(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'cache-bottlenecks.ts'), ...args], { cwd: root, maxBuffer: 1 << 24 });

(existsSync(python) ? test : test.skip)('cache-bottlenecks fills several cuts and exports .npy and HDF5 that NumPy and h5py read', async (t) => {
  const f = await fixture(t);
  const cache = join(f.dir, 'cache');
  const common = [f.data, '--weights', f.weights, '--cuts', 'block1_pool,block2_pool', '--input-size', String(SIZE), '--cache', cache, '--batch-size', '3', '--precision', 'fp32'];
  // One pass per image writes both cuts.
  const npy = await bottlenecks([...common, '--export', 'npy', '--out', join(f.dir, 'npy')]);
  t.is(npy.stdout.match(/computed 7,/g)?.length, 1, npy.stdout);
  const h5 = await bottlenecks([...common, '--export', 'h5', '--out', join(f.dir, 'h5')]);
  t.is(h5.stdout.match(/computed 0, reused 7/g)?.length, 1, h5.stdout);

  // The script splits as every command does, with the shared default seed (1337).
  const items = (await scanDataset(f.data, { valSplit: 0.2, seed: 1337 })).splits.train!;
  for (const [cut, side, channels] of [['block1_pool', 16, 64], ['block2_pool', 8, 128]] as const) {
    const { features } = await loadFeatures(items, { weights: f.weights, cut, inputSize: SIZE, cache });
    const script = `
import json, sys, numpy as np, h5py
d = sys.argv[1]
x = np.load(d + '/npy/bugs/${cut}/train_features.npy'); y = np.load(d + '/npy/bugs/${cut}/train_labels.npy')
with h5py.File(d + '/h5/bugs/${cut}/features.h5', 'r') as h:
    hx, hy = h['train/features'][()], h['train/labels'][()]
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in h.attrs['class_names']]
print(json.dumps({'shape': list(x.shape), 'dtype': str(x.dtype), 'labels': y.tolist(), 'h5_equal': bool(np.array_equal(x, hx) and np.array_equal(y, hy)),
  'names': names, 'classes': json.load(open(d + '/npy/bugs/${cut}/classes.json')), 'sum': float(x.astype(np.float64).sum()), 'first': x.ravel()[:5].tolist()}))`;
    const py = JSON.parse((await run(python, ['-c', script, f.dir])).stdout) as Record<string, unknown>;
    t.deepEqual(py.shape, [items.length, side, side, channels]);
    t.is(py.dtype, 'float32');
    t.deepEqual(py.labels, items.map((i) => i.classIndex));
    t.true(py.h5_equal as boolean, 'the HDF5 export holds the same arrays as the .npy export');
    t.deepEqual(py.names, ['ants', 'bees']);
    t.deepEqual(py.classes, ['ants', 'bees']);
    t.deepEqual(py.first, [...features.subarray(0, 5)]);
    const sum = features.reduce((a, b) => a + b, 0);
    t.true(Math.abs((py.sum as number) - sum) <= 1e-4 * Math.abs(sum), `sum ${py.sum as number} vs ${sum}`);
  }
});

test('extract --cache naming a file: one line on stderr saying so, exit 1', async (t) => {
  const f = await fixture(t);
  const file = join(f.dir, 'not-a-folder');
  await writeFile(file, 'x');
  const err = (await t.throwsAsync(cli(['extract', f.data, '--weights', f.weights, '--cache', file, '--input-size', String(SIZE)]))) as Error & { code: number; stderr: string };
  t.is(err.code, 1);
  // One line for the error (warnings, e.g. about random-init weights, are lines of their own).
  const errors = err.stderr.trim().split('\n').filter((line) => !line.startsWith('warning:'));
  t.is(errors.length, 1, err.stderr);
  t.regex(errors[0]!, /feature cache .*not-a-folder is a file, not a folder/);
});

test('inspect --run on a weights-only file prints the description, then why it cannot run', async (t) => {
  const f = await fixture(t);
  const err = (await t.throwsAsync(cli(['inspect', f.weights, '--run']))) as Error & { code: number; stdout: string; stderr: string };
  t.is(err.code, 1);
  t.regex(err.stdout, /Format: +Keras 1\/2 save_weights[\s\S]*block1_conv1[\s\S]*Total params: 14,714,688/);
  t.regex(err.stderr, /a weights-only file \(legacy-weights\) holds no architecture/);
});

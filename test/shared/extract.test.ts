/**
 * Acceptance for `transferkit extract` on the real hymenoptera photos with init-weights weights:
 * every readable image cached once, a second run computes nothing, and a run killed with SIGKILL
 * half-way then resumed leaves exactly the same cache bytes as an uninterrupted run.
 * Input size 64 keeps the three full passes fast; the code path is the same as at 224.
 */
import test from 'ava';
import { spawn, execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FeatureStore } from '../../src/cache/feature-store.ts';
import { scanDataset } from '../../src/data/scan.ts';
import { initWeights } from '../../src/models/init-weights.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataset = resolve(root, '..', 'shared', 'datasets', 'hymenoptera');
const cli = join(root, 'bin', 'transferkit.js');
const run = promisify(execFile);

async function extract(weights: string, cache: string): Promise<string> {
  const { stdout } = await run('node', [cli, 'extract', dataset, '--weights', weights, '--cache', cache, '--input-size', '64', '--engine', 'onnx', '--batch-size', '4'], { cwd: root });
  return stdout;
}

async function snapshot(cache: string): Promise<Map<string, Buffer>> {
  const store = await FeatureStore.open(cache, { readOnly: true });
  const all = new Map<string, Buffer>();
  for (const { key, value } of store.entries()) all.set(key, Buffer.from(value));
  await store.close();
  return all;
}

async function entryCount(cache: string): Promise<number> {
  try {
    const store = await FeatureStore.open(cache, { readOnly: true });
    const n = store.stats().entries;
    await store.close();
    return n;
  } catch {
    return 0;
  }
}

test('extract caches every image once, reruns compute nothing, and kill -9 + resume gives identical bytes', async (t) => {
  const dir = await tempDir('tk-extract-shared-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const weights = join(dir, 'notop.h5');
  await initWeights(weights, { includeTop: false });
  const ds = await scanDataset(dataset, { valSplit: 0.2, seed: 0 });
  const all = [...ds.splits.train, ...ds.splits.validation];
  const unique = new Set(all.map((i) => i.hash)).size;

  const whole = join(dir, 'whole');
  const first = await extract(weights, whole);
  t.regex(first, new RegExp(`computed ${unique}, reused 0, skipped-unreadable 0 of ${unique}`));
  t.is(await entryCount(whole), unique);
  const second = await extract(weights, whole);
  t.regex(second, new RegExp(`computed 0, reused ${unique},`));

  // Kill a fresh run with SIGKILL once some batches are committed, then resume it.
  const killed = join(dir, 'killed');
  const child = spawn('node', [cli, 'extract', dataset, '--weights', weights, '--cache', killed, '--input-size', '64', '--engine', 'onnx', '--batch-size', '4'], { cwd: root, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  let seen = 0;
  while (seen < 20 && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 25));
    seen = await entryCount(killed);
  }
  child.kill('SIGKILL');
  t.is(await exited, 'SIGKILL');
  const partial = await entryCount(killed);
  t.true(partial > 0 && partial < unique, `killed after ${partial} of ${unique} entries`);
  const resumed = await extract(weights, killed);
  t.regex(resumed, new RegExp(`computed ${unique - partial}, reused ${partial},`));

  const [a, b] = [await snapshot(whole), await snapshot(killed)];
  t.is(b.size, a.size);
  let differing = 0;
  for (const [key, value] of a) if (!b.get(key)?.equals(value)) differing++;
  t.is(differing, 0, `${differing} entries differ between the uninterrupted and the resumed cache`);
});

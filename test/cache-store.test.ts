import test from 'ava';
import { rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FeatureStore, featureKey, ORIGINAL_VARIANT } from '../src/cache/feature-store.ts';
import { fromFloat16, toFloat16 } from '../src/cache/float16.ts';
import { kerasFileHash, prefixFingerprint, type PrefixIdentity } from '../src/cache/fingerprint.ts';
import { hashFile } from '../src/data/hash.ts';
import { tempDir } from './helpers/temp-dir.ts';

function features(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.abs(Math.sin(seed * 1000 + i)) * 40 * ((i % 7) / 7));
}

test('put then get returns the exact float32 features, in key order, with misses as undefined', async (t) => {
  const store = await FeatureStore.open(await tempDir('tk-cache-'));
  const a = features(512, 1);
  const b = features(512, 2);
  const key = (h: string) => featureKey({ fingerprint: 'fp', imageHash: h, variant: ORIGINAL_VARIANT });
  await store.put([{ key: key('a'), features: a }, { key: key('b'), features: b }]);
  const [gotB, missing, gotA] = await store.get([key('b'), key('c'), key('a')]);
  t.deepEqual(gotB, b);
  t.is(missing, undefined);
  t.deepEqual(gotA, a);
  t.true(store.has(key('a')));
  t.false(store.has(key('c')));
  t.is(store.stats().entries, 2);
  t.is(store.stats('fp').entries, 2);
  t.is(store.stats('other').entries, 0);
  t.true(store.stats().bytes >= 2 * 512 * 4);
  await store.close();
});

test('float16 storage halves the bytes and round-trips within half precision', async (t) => {
  const dir = await tempDir('tk-cache-');
  const store = await FeatureStore.open(dir, { dtype: 'float16' });
  const x = features(4096, 3);
  x[0] = 1e-6; // subnormal half
  x[1] = 65504; // largest half
  await store.put([{ key: 'f/fp/img/orig', features: x }]);
  const [got] = await store.get(['f/fp/img/orig']);
  for (let i = 0; i < x.length; i++) {
    const tol = Math.max(Math.abs(x[i]!) * 2 ** -11, 2 ** -25);
    t.true(Math.abs(got![i]! - x[i]!) <= tol, `index ${i}: ${got![i]} vs ${x[i]}`);
  }
  const raw = [...store.entries('fp')][0]!.value;
  t.is(raw.length, 8 + 2 * x.length);
  t.true(store.has('f/fp/img/orig'));
  await store.close();
  // A float32 store does not serve float16 entries as if they were exact: they get recomputed.
  const exact = await FeatureStore.open(dir);
  t.false(exact.has('f/fp/img/orig'));
  await exact.close();
});

test('float16 conversion rounds to nearest even and keeps specials', (t) => {
  const input = Float32Array.from([0, -0, 1, -2.5, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, Infinity, NaN, 2 ** -24, 2 ** -26]);
  const back = fromFloat16(toFloat16(input));
  t.deepEqual([...back.slice(0, 4)], [0, -0, 1, -2.5]);
  t.is(back[4], 1); // tie -> even mantissa
  t.is(back[5], 1 + 2 * 2 ** -10); // tie -> even (rounds up)
  t.is(back[6], Infinity); // beyond the half range
  t.is(back[7], Infinity);
  t.true(Number.isNaN(back[8]));
  t.is(back[9], 2 ** -24); // smallest subnormal
  t.is(back[10], 0); // below it
});

test('every part of the prefix identity changes the fingerprint', (t) => {
  const base: PrefixIdentity = { weightsHash: 'w', cut: 'block5_pool', inputSize: 224, resize: 'squash', preprocessing: 'caffe' };
  const fp = prefixFingerprint(base);
  t.is(prefixFingerprint({ ...base }), fp);
  const changed: PrefixIdentity[] = [
    { ...base, weightsHash: 'w2' },
    { ...base, cut: 'block4_pool' },
    { ...base, inputSize: 150 },
    { ...base, resize: 'crop' },
    { ...base, preprocessing: 'tf' },
  ];
  const all = new Set([fp, ...changed.map(prefixFingerprint)]);
  t.is(all.size, 6);
});

test('the weights file hash follows the file content, re-hashing when size or mtime change', async (t) => {
  const dir = await tempDir('tk-cache-');
  const file = join(dir, 'w.h5');
  await writeFile(file, 'weights one');
  const h1 = await hashFile(file);
  t.is(await hashFile(file), h1);
  await writeFile(file, 'weights two'); // same size
  const later = new Date(Date.now() + 5000);
  await utimes(file, later, later);
  const h2 = await hashFile(file);
  t.not(h2, h1);
  const layer = (v: number) => ({ path: 'mem', format: 'legacy-weights' as const, layers: [{ name: 'l', weights: [{ name: 'k', shape: [2], data: Float32Array.of(v, 1) }] }] });
  t.is(kerasFileHash(layer(1)), kerasFileHash(layer(1)));
  t.not(kerasFileHash(layer(1)), kerasFileHash(layer(2)));
});

test('a second handle on the same directory (as another process opens it) sees committed puts', async (t) => {
  const dir = await tempDir('tk-cache-');
  const writer = await FeatureStore.open(dir);
  const reader = await FeatureStore.open(dir, { readOnly: true });
  await writer.put([{ key: 'f/x/1/orig', features: Float32Array.of(1, 2, 3) }]);
  t.deepEqual((await reader.get(['f/x/1/orig']))[0], Float32Array.of(1, 2, 3));
  await writer.putMeta({ fingerprint: 'x', shape: [3] });
  t.deepEqual(reader.getMeta('x'), { fingerprint: 'x', shape: [3] });
  await reader.close();
  await writer.close();
});

test('readInto decodes float32 and float16 entries in place and reports missing or wrong-length keys', async (t) => {
  const dir = await tempDir('tk-cache-');
  const key = (h: string) => featureKey({ fingerprint: 'fp', imageHash: h, variant: ORIGINAL_VARIANT });
  const full = await FeatureStore.open(dir);
  const a = features(300, 3);
  await full.put([{ key: key('a'), features: a }, { key: key('short'), features: features(299, 4) }]);
  await full.close();
  const half = await FeatureStore.open(dir, { dtype: 'float16' });
  const b = features(300, 5);
  await half.put([{ key: key('b'), features: b }]);
  const out = new Float32Array(4 * 300).fill(-1);
  t.deepEqual(half.readInto([key('b'), key('nope'), key('a'), key('short')], out, 300), [1, 3]);
  t.deepEqual(out.subarray(600, 900), a);
  t.deepEqual(out.subarray(0, 300), fromFloat16(toFloat16(b)));
  t.true(out.subarray(300, 600).every((v) => v === -1), 'a missing key leaves its slot untouched');
  await half.close();
});

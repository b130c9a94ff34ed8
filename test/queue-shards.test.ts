import test from 'ava';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeFeatures, FeatureStore, featureKey, ORIGINAL_VARIANT } from '../src/cache/feature-store.ts';
import type { PrefixIdentity } from '../src/cache/fingerprint.ts';
import { mergeShards } from '../src/queue/merge.ts';
import { readShard, writeShard, type Shard } from '../src/queue/shard-file.ts';
import { tempDir } from './helpers/temp-dir.ts';

const identity: PrefixIdentity = { weightsHash: 'w'.repeat(64), cut: 'block5_pool', inputSize: 32, resize: 'squash', preprocessing: 'caffe' };
const key = (h: string) => featureKey({ fingerprint: 'fp', imageHash: h, variant: ORIGINAL_VARIANT });
const features = (seed: number) => Float32Array.from({ length: 512 }, (_, i) => Math.sin(seed * 100 + i) * 30);

function shard(hashes: string[], dtype: 'float32' | 'float16' = 'float32'): Shard {
  return {
    fingerprint: 'fp',
    shape: [1, 1, 512],
    engine: 'onnx',
    entries: hashes.map((h, i) => ({ key: key(h), value: encodeFeatures(features(i), dtype) })),
    unreadable: [{ path: 'ants/broken.jpg', reason: 'Input file contains unsupported image format' }],
  };
}

test('a shard file round-trips its entries byte for byte, is named for its content, and leaves no temp file', async (t) => {
  const dir = await tempDir('tk-shards-');
  const s = shard(['a', 'b', 'c']);
  const name = await writeShard(dir, s);
  t.regex(name, /^[0-9a-f]{64}\.tks$/);
  t.deepEqual(await readdir(dir), [name]);
  t.is(await writeShard(dir, s), name, 'the same shard gets the same name');
  const back = await readShard(join(dir, name));
  t.deepEqual({ ...back, entries: back.entries.map((e) => ({ key: e.key, value: Buffer.from(e.value) })) }, { ...s, entries: s.entries.map((e) => ({ key: e.key, value: Buffer.from(e.value) })) });
});

test('a truncated, altered or renamed shard file is refused with the file named', async (t) => {
  const dir = await tempDir('tk-shards-');
  const name = await writeShard(dir, shard(['a', 'b']));
  const bytes = await readFile(join(dir, name));
  await writeFile(join(dir, name), bytes.subarray(0, bytes.length - 100));
  await t.throwsAsync(readShard(join(dir, name)), { message: new RegExp(`shard .*${name} is corrupt \\(its bytes do not match its name\\)`) });
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 1]! ^= 1;
  await writeFile(join(dir, name), flipped);
  await t.throwsAsync(readShard(join(dir, name)), { message: /is corrupt/ });
  await t.throwsAsync(readShard(join(dir, 'f'.repeat(64) + '.tks')), { message: /not found; every worker and the submitting process must see the same shard directory/ });
});

test('merging writes the shards into the cache once: a second merge of the same shards changes nothing', async (t) => {
  const dir = await tempDir('tk-shards-');
  const shardDir = join(dir, 'shards');
  const files = [await writeShard(shardDir, shard(['a', 'b'])), await writeShard(shardDir, shard(['c']))];
  const results = files.map((file) => ({ file, computed: 0, unreadable: [] }));
  const job = { fingerprint: 'fp', identity, weights: 'w.h5', shardDir };
  const store = await FeatureStore.open(join(dir, 'cache'));
  const first = await mergeShards(store, job, results);
  t.like(first, { shards: 2, written: 3, bytes: 3 * 512 * 4, engines: ['onnx'] });
  t.is(first.unreadable.length, 2);
  const before = [...store.entries()].map((e) => [e.key, Buffer.from(e.value)]);
  const second = await mergeShards(store, job, results);
  t.like(second, { written: 0, bytes: 0 });
  t.deepEqual([...store.entries()].map((e) => [e.key, Buffer.from(e.value)]), before);
  t.deepEqual(await store.get([key('a')]), [features(0)]);
  t.deepEqual(store.getMeta('fp'), { fingerprint: 'fp', shape: [1, 1, 512], ...identity, weights: 'w.h5' });
  await store.close();
});

test('a merge refuses a shard of another prefix, and a float32 cache replaces a float16 entry', async (t) => {
  const dir = await tempDir('tk-shards-');
  const shardDir = join(dir, 'shards');
  const store = await FeatureStore.open(join(dir, 'cache'));
  const half = await writeShard(shardDir, shard(['a'], 'float16'));
  const full = await writeShard(shardDir, shard(['a']));
  const job = { fingerprint: 'fp', identity, weights: 'w.h5', shardDir };
  await t.throwsAsync(mergeShards(store, { ...job, fingerprint: 'other' }, [{ file: full, computed: 1, unreadable: [] }]), { message: /holds features of prefix fp, not other/ });
  t.is((await mergeShards(store, job, [{ file: half, computed: 1, unreadable: [] }])).written, 1);
  t.false(store.has(key('a')), 'a float32 store does not serve float16 features');
  t.is((await mergeShards(store, job, [{ file: full, computed: 1, unreadable: [] }])).written, 1);
  t.true(store.has(key('a')));
  await store.close();
});

// The queue's precision plumbing without Redis, on generated images at 32 px: a submission decides
// the precision once and its shard jobs carry it (int8 with the calibration's ranges); a worker
// builds the matching engine from the job data alone, and the merged shards equal plain
// `extract --precision int8` byte for byte. Which shards a worker takes, and which it leaves.
import test from 'ava';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { extractFeatures } from '../src/cache/extract-features.ts';
import { FeatureStore } from '../src/cache/feature-store.ts';
import { UserError } from '../src/errors.ts';
import type { ShardJobData } from '../src/queue/jobs.ts';
import { mergeShards } from '../src/queue/merge.ts';
import { refusal, ShardEngines, workerAbility, type WorkerAbility } from '../src/queue/shard-engines.ts';
import { computeShard } from '../src/queue/shard-worker.ts';
import { planShards } from '../src/queue/submit.ts';
import { int8Fixture } from './helpers/int8-fixture.ts';

const SIZE = 32;

async function contents(cache: string, fingerprint: string): Promise<{ entries: [string, Buffer][]; meta: unknown }> {
  const store = await FeatureStore.open(cache, { readOnly: true });
  const entries = [...store.entries(fingerprint)].map((e): [string, Buffer] => [e.key, Buffer.from(e.value)]);
  const meta = store.getMeta(fingerprint);
  await store.close();
  return { entries, meta };
}

test.serial('int8 shards computed from their job data alone merge into a cache byte-identical to plain int8 extraction; fp32 shards get an engine of their own', async (t) => {
  const f = await int8Fixture(t, 10);
  const items = f.images.map((path) => ({ path }));
  const common = { weights: f.weights, inputSize: SIZE, batchSize: 4 };
  const plain = await extractFeatures(items, { ...common, cache: f.cache, engine: 'onnx', precision: 'int8' });
  t.is(plain.precision.precision, 'int8', plain.precisionDecision?.message);

  // The queued cache holds the same calibration: the submission must reuse it, not calibrate anew.
  const queued = join(f.dir, 'queued');
  await cp(join(f.cache, 'calibration'), join(queued, 'calibration'), { recursive: true });
  const store = await FeatureStore.open(queued);
  const at = { ...common, cache: queued, shardSize: 4, dataRoot: join(f.dir, 'img'), shardDir: join(f.dir, 'shards') };
  const plan = await planShards(items, { ...at, precision: 'int8' }, store);
  t.deepEqual(plan.precision, plain.precision);
  t.is(plan.fingerprint, plain.fingerprint);
  t.is(plan.decision?.calibration?.created, plain.precisionDecision?.calibration?.created);
  t.deepEqual(plan.shards.map((s) => s.jobs.length), [4, 4, 2]);
  const ranges = plain.precisionDecision!.calibration!.ranges;
  for (const s of plan.shards) t.deepEqual(s.precision, { ...plain.precision, ranges });

  // Workers see the job data as it comes out of Redis: JSON.
  const viaRedis = (d: ShardJobData): ShardJobData => JSON.parse(JSON.stringify(d)) as ShardJobData;
  const loaded: string[] = [];
  const engines = new ShardEngines({ engine: 'onnx', threads: 1, onEngine: (e) => loaded.push(e.engine) }, (m) => new UserError(m));
  t.teardown(() => engines.dispose());
  const results = [];
  for (const d of plan.shards.map(viaRedis)) results.push(await computeShard(d, await engines.get(d), {}, () => undefined));
  t.deepEqual(loaded, ['onnx-int8'], 'one int8 engine for every shard of the calibration');
  const merged = await mergeShards(store, { fingerprint: plan.fingerprint, identity: plan.identity, weights: f.weights, shardDir: plan.shardDir }, results);
  t.like(merged, { written: 10, engines: ['onnx-int8'] });

  // An fp32 submission of the same images: its own fingerprint, its own engine, beside the int8 one.
  const fp32 = await planShards(items, { ...at, precision: 'fp32', shardSize: 10 }, store);
  t.not(fp32.fingerprint, plan.fingerprint);
  t.deepEqual(fp32.shards.map((s) => s.precision), [{ precision: 'fp32' }]);
  const fp32Shard = viaRedis(fp32.shards[0]!);
  const fp32Result = await computeShard(fp32Shard, await engines.get(fp32Shard), {}, () => undefined);
  await engines.get(viaRedis(plan.shards[0]!));
  t.deepEqual(loaded, ['onnx-int8', 'onnx'], 'both engines stay loaded');
  t.is((await mergeShards(store, { fingerprint: fp32.fingerprint, identity: fp32.identity, weights: f.weights, shardDir: fp32.shardDir }, [fp32Result])).written, 10);
  await store.close();

  const [a, b] = [await contents(f.cache, plain.fingerprint), await contents(queued, plain.fingerprint)];
  t.is(a.entries.length, 10);
  t.deepEqual(b, a, 'queued int8 features (and their prefix record) are byte-identical to plain ones');
  t.is((await contents(queued, fp32.fingerprint)).entries.length, 10, 'fp32 entries sit beside the int8 ones');
});

test.serial("a worker checks a shard's fingerprint against its own weights and the shard's precision before building an engine", async (t) => {
  const f = await int8Fixture(t, 1);
  const store = await FeatureStore.open(f.cache);
  const plan = await planShards([{ path: f.images[0]! }], { weights: f.weights, inputSize: SIZE, cache: f.cache, precision: 'fp32', dataRoot: f.dir }, store);
  await store.close();
  const loaded: string[] = [];
  const engines = new ShardEngines({ engine: 'onnx', onEngine: (e) => loaded.push(e.engine) }, (m) => new UserError(`unrecoverable: ${m}`));
  const shard = plan.shards[0]!;
  const forged: ShardJobData = { ...shard, precision: { precision: 'int8', calibration: 'c'.repeat(64), ranges: { input: [-124, 152], activations: {}, weightBits: 8 } } };
  await t.throwsAsync(engines.get(forged), { message: /^unrecoverable: .*the shard's precision does not match its fingerprint/ });
  t.deepEqual(loaded, []);
  await engines.dispose();
  // Any other file stands in for another weights file on the worker's machine.
  const elsewhere = new ShardEngines({ engine: 'onnx', weights: f.images[0]!, onEngine: (e) => loaded.push(e.engine) }, (m) => new UserError(`unrecoverable: ${m}`));
  await t.throwsAsync(elsewhere.get(shard), { message: /^unrecoverable: weights .*im0\.png on this worker differ from the submitter's/ });
  t.deepEqual(loaded, []);
  await elsewhere.dispose();
});

test('a worker takes the shards of its precision and leaves the others, and int8 ones it cannot compute exactly', async (t) => {
  const fp32 = { precision: { precision: 'fp32' } } as ShardJobData;
  const int8 = (weightBits: 7 | 8) => ({ precision: { precision: 'int8', calibration: 'c', ranges: { input: [0, 1], activations: {}, weightBits } } }) as ShardJobData;
  const worker = (precision: WorkerAbility['precision'], int8: WorkerAbility['int8'] = { weightBits: 8 }): WorkerAbility => ({ precision, int8 });
  t.is(refusal(fp32, worker('auto')), undefined);
  t.is(refusal(int8(8), worker('auto')), undefined);
  t.is(refusal(fp32, worker('fp32')), undefined);
  t.is(refusal(int8(7), worker('int8')), undefined);
  t.is(refusal(int8(8), worker('fp32')), 'this worker computes fp32 only (--precision fp32)');
  t.is(refusal(fp32, worker('int8')), 'this worker computes int8 only (--precision int8)');
  t.regex(refusal(int8(8), worker('auto', { weightBits: 7 }))!, /8-bit weights, which this CPU \(no VNNI\) cannot compute exactly/);
  t.is(refusal(int8(7), worker('auto', { weightBits: 7 })), undefined);
  t.is(refusal(int8(7), worker('auto', { unavailable: 'no int8 here' })), 'no int8 here');

  const tfjs = await workerAbility({ engine: 'tfjs' });
  t.like(tfjs, { precision: 'auto', int8: { unavailable: 'int8 runs on onnxruntime CPU only, and this worker uses another engine or provider' } });
  await t.throwsAsync(workerAbility({ engine: 'tfjs', precision: 'int8' }), { instanceOf: UserError, message: /worker --precision int8 needs the onnx engine/ });
});
